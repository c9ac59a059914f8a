/**
 * The subscriber websocket (/ws/subscribe). Reconnects by itself with backoff
 * (0.5 s doubling to 5 s) and, on every (re)connect, resubscribes with
 * `since` = the last seq each store holds, so the server replays only what we
 * missed. Event payloads go through the protocol's validateEvent (which also
 * turns "NaN"/"Infinity" strings back into numbers); one bad event is
 * reported and skipped, not allowed to kill the stream.
 */
import { validateEvent, type GradscopeEvent, type RunSummary, type ServerMessage, type SubscriberMessage } from '@gradscope/protocol';
import { RunList } from './run-list.js';

export type ConnectionState = 'connecting' | 'open' | 'unreachable';

export interface ConnectionHandlers {
  runs(runs: RunSummary[]): void;
  events(runId: string, events: GradscopeEvent[], replay: { downsampled: boolean } | null): void;
  state(state: ConnectionState, detail: string): void;
  /** The last seq held per run, for `since`. */
  since(): Record<string, number>;
}

export function decodeAll(raw: unknown, onError: (msg: string) => void): GradscopeEvent[] {
  const out: GradscopeEvent[] = [];
  if (!Array.isArray(raw)) return out;
  for (const r of raw) {
    try {
      out.push(validateEvent(r));
    } catch (err) {
      onError((err as Error).message);
    }
  }
  return out;
}

export class Connection {
  private ws: WebSocket | null = null;
  private delay = 500;
  private wanted: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly runList = new RunList();

  constructor(private readonly url: string, private readonly h: ConnectionHandlers) {}

  start(): void {
    this.h.state('connecting', this.url);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.h.state('open', this.url);
      if (this.wanted.length) this.send({ type: 'subscribe', runs: this.wanted, since: this.sinceFor(this.wanted) });
    };
    ws.onmessage = (ev) => this.onMessage(String(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.h.state('unreachable', `no connection to ${this.url}; retrying in ${(this.delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.start(), this.delay);
      this.delay = Math.min(5000, this.delay * 2);
    };
  }

  /** Subscribes to exactly these runs (unsubscribing the others). */
  subscribe(runIds: string[]): void {
    const gone = this.wanted.filter((r) => !runIds.includes(r));
    const added = runIds.filter((r) => !this.wanted.includes(r));
    this.wanted = [...runIds];
    if (gone.length) this.send({ type: 'unsubscribe', runs: gone });
    if (added.length) this.send({ type: 'subscribe', runs: added, since: this.sinceFor(added) });
  }

  private sinceFor(runIds: string[]): Record<string, number> {
    const all = this.h.since();
    const out: Record<string, number> = {};
    for (const r of runIds) if (all[r] != null && all[r]! >= 0) out[r] = all[r]!;
    return out;
  }

  private send(msg: SubscriberMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private onMessage(text: string): void {
    // The server's messages are the protocol's; they are not validated here
    // (events are, one by one), so every field read keeps a fallback.
    let msg: Partial<ServerMessage>;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn('gradscope: server sent invalid JSON');
      return;
    }
    const warn = (m: string) => console.warn(`gradscope: skipped an invalid event: ${m}`);
    switch (msg.type) {
      case 'runs':
        this.h.runs(this.runList.replace(msg.runs ?? []));
        break;
      case 'runs-changed':
        this.h.runs(this.runList.change(msg.runs ?? []));
        break;
      case 'replay':
        this.h.events(msg.runId ?? '', decodeAll(msg.events, warn), { downsampled: msg.downsampled === true });
        break;
      case 'events':
        this.h.events(msg.runId ?? '', decodeAll(msg.events, warn), null);
        break;
      case 'error':
        console.warn(`gradscope server: ${msg.message}`);
        break;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}
