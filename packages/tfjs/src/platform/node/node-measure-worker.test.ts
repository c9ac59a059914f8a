/**
 * The Node measurement worker's thread runs at the lowest priority, and only
 * it: read from the kernel's own per-thread records (/proc/self/task), not
 * from anything the worker reports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startNodeMeasureWorker } from './node-measure-worker.js';

/** thread id → nice value, for every thread of this process. */
function threadNiceValues(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm)": state is field 3, nice field 19 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(fields[16]));
    } catch {
      // the thread ended while we listed
    }
  }
  return out;
}

// A process already at nice 19 could not tell the worker's thread from the others.
describe.runIf(process.platform === 'linux' && getPriority() < 19)('the Node measurement worker', () => {
  it('lowers its own thread to nice 19 and leaves the training thread and the others as they were', async () => {
    const before = threadNiceValues();
    const ownNice = getPriority();
    const link = await startNodeMeasureWorker(2);
    try {
      // The worker sets its priority as its entry module runs (after loading tfjs): wait for it.
      const deadline = Date.now() + 60_000;
      let lowered: string[] = [];
      while (Date.now() < deadline) {
        lowered = [...threadNiceValues()].filter(([tid, nice]) => nice === 19 && !before.has(tid)).map(([tid]) => tid);
        if (lowered.length > 0 || link.died) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(link.died).toBeNull();
      expect(lowered).toHaveLength(1);
      expect(getPriority()).toBe(ownNice);
      const after = threadNiceValues();
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid}`).toBe(nice);
    } finally {
      await link.terminate();
    }
  });
});
