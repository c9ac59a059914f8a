/**
 * The measurement workers still running, once those ended have exited.
 * Ending a worker waits for its process to exit only EXIT_WAIT_MS (a starved
 * one can take seconds on a busy machine; see node-measure-worker.ts),
 * so a test that checks nothing is left waits for the exit itself: up to
 * 30 s, then returns the count as it is.
 */
import { liveMeasureWorkers } from '../platform/node/node-measure-worker.js';

export async function measureWorkersLeft(): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (liveMeasureWorkers() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return liveMeasureWorkers();
}
