import { platform } from '../platform/platform.js';
import { ConsoleSink } from './console-sink.js';
import { openLiveSinks, type LiveAlert } from './live-sinks.js';
import type { ResolvedOptions } from './options.js';
import type { EventSink } from './sinks.js';

/**
 * The sinks of one run, in the order they get each event: the logdir file
 * (unless `logdir: false`; it throws, naming the folder, when it cannot be
 * written), the live sinks (publisher or embedded server, which read back
 * from that file), and the console lines (unless `console: false`).
 * `report` emits an alert from a live sink into the run; see openLiveSinks.
 */
export async function openRunSinks(options: ResolvedOptions, runId: string, report: (alert: LiveAlert) => boolean): Promise<EventSink[]> {
  const sinks: EventSink[] = [];
  const logdir = options.logdir !== false ? await platform().openLogdirSink(options.logdir, runId) : null;
  if (logdir) sinks.push(logdir);
  sinks.push(...(await openLiveSinks(options, runId, report, logdir)));
  if (options.console) sinks.push(new ConsoleSink());
  return sinks;
}
