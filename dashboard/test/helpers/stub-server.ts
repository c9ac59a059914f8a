/**
 * STAND-IN for @gradscope/server while it is being built (issue 4): serves
 * dist/ and the subscriber half of packages/server/CONTRACT.md (runs, replay,
 * live events, export links) from a logdir it polls, like `tensorboard
 * --logdir`. Used by the browser test only when the real server's CLI is not
 * there yet (see server.ts). Not a product: no downsampling, no publishers.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, extname, normalize } from 'node:path';
import { decodeEvent, encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export async function startStubServer(dist: string, logdir: string): Promise<{ url: string; close(): Promise<void> }> {
  const runs = new Map<string, GradscopeEvent[]>();
  const subs = new Map<WebSocket, Set<string>>();
  const summaries = () =>
    [...runs].map(([runId, ev]) => {
      const start = ev.find((e) => e.type === 'run-start');
      const end = ev.find((e) => e.type === 'run-end');
      const last = ev[ev.length - 1]!;
      const lastTrain = [...ev].reverse().find((e) => e.type === 'train-step');
      const lastMeas = [...ev].reverse().find((e) => e.type === 'measurement');
      return {
        runId, name: start?.type === 'run-start' ? start.name : runId, status: end?.type === 'run-end' ? end.status : 'live',
        startTime: ev[0]!.time, lastTime: last.time, lastSeq: last.seq, step: last.step, epoch: last.epoch,
        loss: lastTrain?.type === 'train-step' ? lastTrain.loss : null, events: ev.length,
        layers: lastMeas?.type === 'measurement' ? lastMeas.layers.map((l) => ({ name: l.layer, kind: l.kind, units: l.units, regime: l.regime })) : [],
      };
    });
  const poll = () => {
    if (!existsSync(logdir)) return;
    let changed = false;
    for (const runId of readdirSync(logdir)) {
      const file = join(logdir, runId, 'events.jsonl');
      if (!existsSync(file)) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      const have = runs.get(runId) ?? [];
      const fresh: GradscopeEvent[] = [];
      for (const line of lines.slice(have.length)) {
        if (!line.trim()) continue;
        try { fresh.push(decodeEvent(line)); } catch { break; } // torn tail: next poll
      }
      if (!fresh.length) continue;
      runs.set(runId, [...have, ...fresh]);
      changed = true;
      for (const [ws, set] of subs) if (set.has(runId)) ws.send(`{"type":"events","runId":${JSON.stringify(runId)},"events":[${fresh.map(encodeEvent).join(',')}]}`);
    }
    if (changed) for (const ws of subs.keys()) ws.send(JSON.stringify({ type: 'runs', runs: summaries() }));
  };
  const timer = setInterval(poll, 100);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/health') return void res.end(JSON.stringify({ ok: true, version: 'stub', protocol: 1 }));
    if (url.pathname === '/api/runs') return void res.end(JSON.stringify({ runs: summaries() }));
    const file = normalize(join(dist, url.pathname === '/' ? 'index.html' : url.pathname));
    const path = file.startsWith(dist) && existsSync(file) && extname(file) ? file : join(dist, 'index.html');
    res.setHeader('content-type', TYPES[extname(path)] ?? 'application/octet-stream');
    res.end(readFileSync(path));
  });
  const wss = new WebSocketServer({ server, path: '/ws/subscribe' });
  wss.on('connection', (ws) => {
    subs.set(ws, new Set());
    ws.send(JSON.stringify({ type: 'runs', runs: summaries() }));
    ws.on('close', () => subs.delete(ws));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; runs: string[] | '*'; since?: Record<string, number> };
      const ids = msg.runs === '*' ? [...runs.keys()] : msg.runs;
      const set = subs.get(ws)!;
      for (const id of ids) {
        if (msg.type === 'unsubscribe') { set.delete(id); continue; }
        set.add(id);
        const since = msg.since?.[id] ?? -1;
        const ev = (runs.get(id) ?? []).filter((e) => e.seq > since);
        ws.send(`{"type":"replay","runId":${JSON.stringify(id)},"downsampled":false,"lastSeq":${ev[ev.length - 1]?.seq ?? since},"events":[${ev.map(encodeEvent).join(',')}]}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      clearInterval(timer);
      for (const ws of subs.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
