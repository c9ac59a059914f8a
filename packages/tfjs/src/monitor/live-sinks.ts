import type { AlertEvent } from '@gradscope/protocol';
import { platform } from '../platform/platform.js';
import type { ResolvedOptions } from './options.js';
import type { EventSink } from './sinks.js';
import { WsPublisher, type SocketFactory } from './ws-publisher.js';

/** An alert the live sinks ask the monitor to emit into the run (e.g. 'dropped-events'). */
export type LiveAlert = Pick<AlertEvent, 'kind' | 'severity' | 'message'> & { value?: number };

/** Dropped events are reported at most this often, so a long outage is one alert per interval, not one per event. */
const REPORT_EVERY_MS = 10_000;

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
      connect = await platform().socketFactory();
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
    const readBack = options.logdir !== false ? platform().logdirReadBack(options.logdir, runId) : null;
    // close() waits for the server's acks. In Node the logdir file is the
    // spool, so 5 s is plenty; a page has nothing else, and a page busy
    // training (software WebGL on a loaded machine) can take longer than 5 s
    // just to finish the handshake: a short run was lost that way in CI.
    const closeTimeoutMs = readBack ? 5_000 : 30_000;
    return [new WsPublisher({ url: options.url, token: options.token, runId, connect, readBack, onDropped, closeTimeoutMs })];
  }
  if (!options.serve || options.logdir === false) return [];
  const sink = await platform().embeddedServerSink(options.logdir, runId);
  return sink ? [sink] : [];
}
