import type { AlertEvent } from '@gradscope/protocol';
import { platform } from '../platform/platform.js';
import type { ResolvedOptions } from './options.js';
import type { EventSink, RunLog } from './sinks.js';
import type { SocketFactory } from './publisher-socket.js';
import { WsPublisher, type Loss } from './ws-publisher.js';

/** An alert the live sinks ask the monitor to emit into the run (e.g. 'dropped-events'). */
export type LiveAlert = Pick<AlertEvent, 'kind' | 'severity' | 'message'> & { value?: number };

/** Dropped events are reported at most this often, so a long outage is one alert per interval, not one per event. */
const REPORT_EVERY_MS = 10_000;

/**
 * Turns the publisher's losses into alerts in the run: the first at once
 * (it names what was lost and why), later ones summed over REPORT_EVERY_MS.
 */
function lossReporter(url: string, report: (alert: LiveAlert) => boolean): (loss: Loss) => void {
  let pending = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let first = true;
  const emit = (count: number, message: string) => {
    let reported = false;
    try {
      reported = report({ kind: 'dropped-events', severity: 'warning', message, value: count });
    } catch {
      // the stream failed; the warning below is all that is left
    }
    if (!reported) console.warn(`gradscope: ${message}`); // the run has ended: no alert can carry it
  };
  return (loss) => {
    if (first) {
      first = false;
      return emit(loss.count, loss.message);
    }
    pending += loss.count;
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      const count = pending;
      pending = 0;
      emit(count, `${count} more events could not be delivered live to ${url} (last: ${loss.message})`);
    }, REPORT_EVERY_MS);
    (timer as { unref?: () => void }).unref?.();
  };
}

/**
 * The sinks that stream a run live: a websocket publisher to `url`, or,
 * with no url and `serve` on in Node, the embedded server started
 * in-process (shared by every run of the process). Never throws: a live
 * sink that cannot start is a warning, and the run is still recorded in
 * the logdir. `report` emits an alert into the run (used for events the
 * publisher could not deliver) and returns false once the run has ended.
 * `log`, the run's own logdir file, is where the publisher reads events
 * back from when a server asks for them again (null in a page).
 */
export async function openLiveSinks(
  options: ResolvedOptions,
  runId: string,
  report: (alert: LiveAlert) => boolean = () => false,
  log: RunLog | null = null,
): Promise<EventSink[]> {
  if (options.url !== null) {
    let connect: SocketFactory;
    try {
      connect = await platform().socketFactory();
    } catch (err) {
      console.warn(`gradscope: cannot publish to ${options.url}: ${(err as Error).message}`);
      return [];
    }
    const readBack = log ? log.readBack.bind(log) : null;
    // close() waits for the server's acks. In Node the logdir file keeps
    // the run, so 5 s is plenty; a page has nothing else, and a page busy
    // training (software WebGL on a loaded machine) can take longer than 5 s
    // just to finish the handshake: a short run was lost that way in CI.
    const closeTimeoutMs = readBack ? 5_000 : 30_000;
    return [new WsPublisher({ url: options.url, token: options.token, runId, connect, readBack, onLost: lossReporter(options.url, report), closeTimeoutMs })];
  }
  if (!options.serve || options.logdir === false) return [];
  const sink = await platform().embeddedServerSink(options.logdir, runId);
  return sink ? [sink] : [];
}
