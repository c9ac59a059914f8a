import type { ResolvedOptions } from './options.js';
import type { EventSink } from './sinks.js';

/**
 * The sinks that stream a run live: a websocket publisher to `url`, or,
 * with no url and `serve` on in Node, an embedded server started
 * in-process. Owned by the live-server work (issue 4); until that lands no
 * live sink is opened and runs are recorded to the logdir only.
 */
export async function openLiveSinks(options: ResolvedOptions, runId: string): Promise<EventSink[]> {
  void options;
  void runId;
  return [];
}
