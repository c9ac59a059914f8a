/**
 * REST routes under /api (PROTOCOL.md "Server routes"). Read-only; every
 * error is JSON `{ "error": "..." }` with a 4xx status, never a stack trace.
 */
import { EVENT_TYPES, isValidRunId, PROTOCOL_VERSION, type EventType } from '@gradscope/protocol';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { exportCsv, exportJson } from './export.js';
import type { RunState } from './run-state.js';
import type { RunStore } from './run-store.js';
import type { ServerStats } from './stats.js';
import { VERSION } from './version.js';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;
/** A page stops before this many bytes of events (always holding at least one): `limit` alone would let 10 000 large measurements build a string of gigabytes. */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function intParam(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value)) throw new BadRequest(`query '${name}' must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new BadRequest(`query '${name}' must be between ${min} and ${max}, got ${n}`);
  return n;
}

function typesParam(value: unknown): Set<EventType> | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new BadRequest("query 'types' must be a comma-separated list of event types");
  const types = value.split(',').filter((t) => t.length > 0);
  for (const t of types) {
    if (!EVENT_TYPES.includes(t as EventType)) throw new BadRequest(`query 'types': unknown event type ${JSON.stringify(t)} (known: ${EVENT_TYPES.join(', ')})`);
  }
  return new Set(types as EventType[]);
}

async function pipe(res: Response, chunks: AsyncGenerator<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

export function apiRouter(store: RunStore, stats: ServerStats): Router {
  const api = express.Router();
  const run = (req: Request): RunState => {
    const id = req.params['runId'];
    if (!isValidRunId(id)) throw new BadRequest(`invalid run id ${JSON.stringify(String(id)).slice(0, 80)}`, 404);
    const found = store.get(id);
    if (!found) throw new BadRequest(`no run ${id}`, 404);
    return found;
  };

  api.get('/health', (_req, res) => {
    res.json({ ok: true, version: VERSION, protocol: PROTOCOL_VERSION });
  });
  api.get('/stats', (_req, res) => {
    const mem = process.memoryUsage();
    res.json({ runs: store.list().length, ...stats, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed });
  });
  api.get('/runs', (_req, res) => {
    res.json({ runs: store.list().map((r) => r.summary()) });
  });
  api.get('/runs/:runId', (req, res) => {
    res.json(run(req).summary());
  });
  api.get('/runs/:runId/events', async (req, res) => {
    const r = run(req);
    const since = intParam(req.query['since'], 'since', -1, -1, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query['limit'], 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const types = typesParam(req.query['types']);
    const lines: string[] = [];
    let bytes = 0;
    let nextSince = since;
    let done = true;
    for await (const s of store.readEvents(r, since)) {
      const wanted = !types || types.has(s.event.type);
      if (wanted && (lines.length >= limit || (lines.length > 0 && bytes + s.line.length > MAX_PAGE_BYTES))) {
        done = false;
        break;
      }
      nextSince = s.event.seq;
      if (!wanted) continue;
      lines.push(s.line);
      bytes += s.line.length + 1;
    }
    res.type('json').send(`{"events":[${lines.join(',')}],"nextSince":${nextSince},"done":${done}}`);
  });
  api.get('/runs/:runId/export.json', async (req, res) => {
    const r = run(req);
    res.type('json').attachment(`${r.runId}.json`);
    await pipe(res, exportJson(store, r));
  });
  api.get('/runs/:runId/export.csv', async (req, res) => {
    const r = run(req);
    res.type('text/csv').attachment(`${r.runId}.csv`);
    await pipe(res, exportCsv(store, r));
  });
  api.use((req, _res, next) => next(new BadRequest(`no route ${req.method} /api${req.path}`, 404)));
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    stats.badRequests++;
    const e = err as { status?: number; statusCode?: number; message?: string };
    const status = err instanceof BadRequest ? err.status : (e.status ?? e.statusCode ?? 500);
    if (res.headersSent) return res.end();
    res.status(status >= 400 && status < 600 ? status : 500).json({ error: e.message ?? 'error' });
  });
  return api;
}
