/**
 * The Node measurement worker's thread runs at the lowest priority, and only
 * it: read from the kernel's own per-thread records (/proc/self/task), not
 * from anything the worker reports.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { nodeWorkerEntry, startNodeMeasureWorker } from './node-measure-worker.js';

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

describe('the Node measurement worker, started from a training process run with flags of its own', () => {
  it('starts and answers under `node --input-type=module -e` (the flags are the training process’s, not the worker’s)', () => {
    // A training process of its own: this test's runs without such flags. It posts an init whose topology
    // is not a model; the answer is a rebuild failure, which only a worker that started can give.
    const platform = new URL('../platform/node/node-measure-worker.js', nodeWorkerEntry()).href;
    const script = [
      `import { startNodeMeasureWorker } from ${JSON.stringify(platform)};`,
      'const link = await startNodeMeasureWorker(2);',
      "link.post({ type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null });",
      'const deadline = Date.now() + 60_000;',
      'let reply;',
      'while (!(reply = link.poll()) && !link.died && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));',
      'console.log(JSON.stringify({ reply: reply ?? null, died: link.died?.message ?? null }));',
      'await link.terminate();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 90_000 });
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(out.died, run.stderr).toBeNull();
    expect(out.reply).toMatchObject({ type: 'failed', phase: 'rebuild' });
  });
});
