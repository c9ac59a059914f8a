import type { AlertEvent } from '@gradscope/protocol';
import { EmbeddedServerSink, embeddedServer } from './embedded-server.js';
import type { ResolvedOptions } from './options.js';
import type { SpooledEvent } from './publish-spool.js';
import type { EventSink } from './sinks.js';
import { WsPublisher, type SocketFactory, type SocketLike } from './ws-publisher.js';

/** An alert the live sinks ask the monitor to emit into the run (e.g. 'dropped-events'). */
export type LiveAlert = Pick<AlertEvent, 'kind' | 'severity' | 'message'> & { value?: number };

const isNode = typeof process !== 'undefined' && process.versions?.node != null;
/** Dropped events are reported at most this often, so a long outage is one alert per interval, not one per event. */
const REPORT_EVERY_MS = 10_000;

async function socketFactory(): Promise<SocketFactory> {
  if (isNode) {
    const { NodeWebSocket } = await import('@gradscope/server');
    return (url) => new NodeWebSocket(url) as unknown as SocketLike;
  }
  const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (!Ctor) throw new Error('no WebSocket in this environment');
  return (url) => new Ctor(url);
}

/** Reads events [from, to] of a run back from its events.jsonl (the Node spool). */
function fileReadBack(logdir: string, runId: string): (from: number, to: number) => Promise<SpooledEvent[]> {
  return async (from, to) => {
    const { iterateRunEvents, runEventsPath } = await import('@gradscope/protocol/node');
    const { encodeEvent } = await import('@gradscope/protocol');
    const out: SpooledEvent[] = [];
    for await (const line of iterateRunEvents(runEventsPath(logdir, runId))) {
      const e = line.event;
      if (!e || e.seq < from) continue;
      if (e.seq > to) break;
      out.push({ seq: e.seq, line: encodeEvent(e) });
    }
    return out;
  };
}

/**
 * The sinks that stream a run live: a websocket publisher to `url`, or,
 * with no url and `serve` on in Node, the embedded server started
 * in-process (shared by every run of the process). Never throws: a live
 * sink that cannot start is a warning, and the run is still recorded in
 * the logdir. `report` emits an alert into the run (used for events the
 * publisher could not deliver).
 */
export async function openLiveSinks(options: ResolvedOptions, runId: string, report: (alert: LiveAlert) => void = () => {}): Promise<EventSink[]> {
  if (options.url !== null) {
    let connect: SocketFactory;
    try {
      connect = await socketFactory();
    } catch (err) {
      console.warn(`gradscope: cannot publish to ${options.url}: ${(err as Error).message}`);
      return [];
    }
    let pending = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flushReport = () => {
      timer = null;
      const count = pending;
      pending = 0;
      try {
        report({ kind: 'dropped-events', severity: 'warning', message: `${count} events could not be delivered live to ${options.url} (bounded spool)`, value: count });
      } catch {
        // the run has ended; the publisher's close() warning covers it
      }
    };
    const onDropped = (count: number) => {
      pending += count;
      if (timer === null) {
        timer = setTimeout(flushReport, timer === null && pending === count ? 0 : REPORT_EVERY_MS);
        (timer as { unref?: () => void }).unref?.();
      }
    };
    const readBack = isNode && options.logdir !== false ? fileReadBack(options.logdir, runId) : null;
    // close() waits for the server's acks. In Node the logdir file is the
    // spool, so 5 s is plenty; a page has nothing else, and a page busy
    // training (software WebGL on a loaded machine) can take longer than 5 s
    // just to finish the handshake: a short run was lost that way in CI.
    const closeTimeoutMs = readBack ? 5_000 : 30_000;
    return [new WsPublisher({ url: options.url, token: options.token, runId, connect, readBack, onDropped, closeTimeoutMs })];
  }
  if (!options.serve || !isNode || options.logdir === false) return [];
  const server = await embeddedServer(options.logdir);
  return server ? [new EmbeddedServerSink(server.openLocal(runId))] : [];
}
