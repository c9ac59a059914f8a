/** Real `ws` clients for the tests: a raw publisher and a collecting subscriber. */
import WebSocket from 'ws';
import { encodeEvent, type GradscopeEvent } from '@gradscope/protocol';

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws').replace(/\/$/, '') + path;
}

/** Resolves with the next message satisfying `pred` (rejects after `ms`). */
export function nextMessage(ws: WebSocket, pred: (m: any) => boolean = () => true, ms = 10_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', on);
      reject(new Error(`no matching message within ${ms} ms`));
    }, ms);
    const on = (data: Buffer) => {
      const m = JSON.parse(data.toString());
      if (!pred(m)) return;
      clearTimeout(timer);
      ws.off('message', on);
      resolve(m);
    };
    ws.on('message', on);
  });
}

export function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Closes and resolves with the close code. */
export function closed(ws: WebSocket, ms = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve(-1);
    const timer = setTimeout(() => reject(new Error('socket did not close')), ms);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Each run's publisher secret from its last welcome: the helper reconnects as the run's own publisher, as the callback does. */
export const secrets = new Map<string, string>();

/** Opens a publisher connection and says hello (with the remembered secret); resolves with the welcome, rejects with the refusal. */
export async function hello(httpUrl: string, runId: string, token?: string, secret = secrets.get(runId)): Promise<{ ws: WebSocket; welcome: any }> {
  const ws = await open(wsUrl(httpUrl, '/ws/publish'));
  const answer = nextMessage(ws, (m) => m.type === 'welcome' || m.type === 'error');
  ws.send(JSON.stringify({ type: 'hello', runId, ...(token ? { token } : {}), ...(secret ? { secret } : {}) }));
  const w = await answer;
  if (w.type !== 'welcome') {
    ws.close();
    throw Object.assign(new Error(`refused: ${w.code}: ${w.message}`), { code: w.code });
  }
  secrets.set(runId, w.secret);
  return { ws, welcome: w };
}

/** Publishes events in batches (hello first), waiting for each ack. Returns the welcome's lastSeq. */
export async function publish(httpUrl: string, runId: string, events: GradscopeEvent[], batch = 50, token?: string): Promise<number> {
  const { ws, welcome: w } = await hello(httpUrl, runId, token);
  for (let i = 0; i < events.length; i += batch) {
    const part = events.slice(i, i + batch);
    const ack = nextMessage(ws, (m) => m.type === 'ack' || m.type === 'error');
    ws.send(`{"type":"events","events":[${part.map(encodeEvent).join(',')}]}`);
    const a = await ack;
    if (a.type !== 'ack') throw new Error(`error: ${a.message}`);
  }
  ws.close();
  await closed(ws);
  return w.lastSeq;
}

/** A subscriber that records every replayed and live event per run (as seqs and raw objects). */
export class Collector {
  readonly seqs = new Map<string, number[]>();
  readonly messages: any[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString());
      this.messages.push(m.type === 'runs' ? { type: 'runs' } : m);
      if (m.type === 'replay' || m.type === 'events') {
        const list = this.seqs.get(m.runId) ?? [];
        for (const e of m.events) list.push(e.seq);
        this.seqs.set(m.runId, list);
      }
    });
  }

  static async connect(httpUrl: string, subscribe: object): Promise<Collector> {
    const ws = await open(wsUrl(httpUrl, '/ws/subscribe'));
    const c = new Collector(ws);
    ws.send(JSON.stringify({ type: 'subscribe', ...subscribe }));
    return c;
  }

  /** Waits until run `runId` has `count` events (bounded). */
  async waitFor(runId: string, count: number, ms = 15_000): Promise<number[]> {
    const end = Date.now() + ms;
    while ((this.seqs.get(runId)?.length ?? 0) < count) {
      if (Date.now() > end) throw new Error(`subscriber got ${this.seqs.get(runId)?.length ?? 0} of ${count} events of ${runId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.seqs.get(runId)!;
  }
}

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
