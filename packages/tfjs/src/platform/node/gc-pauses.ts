import { PerformanceObserver } from 'node:perf_hooks';
import type { PauseReport } from '../../monitor/yield-collections.js';

/**
 * This thread's garbage-collection pauses as Node reports them ('gc'
 * performance entries: start on the performance.now() clock, duration in
 * ms), delivered on a later turn of the event loop. Each thread observes
 * its own isolate: the measurement worker's collections are not reported
 * here. Returns the stop.
 */
export function watchGcPauses(report: PauseReport): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) report(entry.startTime, entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
