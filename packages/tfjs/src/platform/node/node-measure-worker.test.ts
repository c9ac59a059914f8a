/**
 * The Node measurement worker's thread runs at the lowest priority, and only
 * it: read from the kernel's own per-thread records (/proc/self/task), not
 * from anything the worker reports.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { WorkerDeclined } from '../../measure-worker/link.js';
import { measureWorkersLeft } from '../../test-helpers/measure-workers-left.js';
import { EXIT_WAIT_MS, liveMeasureWorkers, nodeWorkerEntry, startNodeMeasureWorker } from './node-measure-worker.js';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The threads of this process that are at nice 19 and were not in `before`: the worker's, once it has lowered itself (at most 60 s). */
async function loweredThreads(before: Map<string, number>, link: { died: Error | null }): Promise<string[]> {
  // The worker sets its priority as its entry module runs (after loading tfjs): wait for it.
  const deadline = Date.now() + 60_000;
  let lowered: string[] = [];
  while (Date.now() < deadline) {
    lowered = [...threadNiceValues()].filter(([tid, nice]) => nice === 19 && !before.has(tid)).map(([tid]) => tid);
    if (lowered.length > 0 || link.died) break;
    await sleep(50);
  }
  return lowered;
}

// A process already at nice 19 could not tell the worker's thread from the others.
describe.runIf(process.platform === 'linux' && getPriority() < 19)('the Node measurement worker', () => {
  it('lowers its own thread to nice 19 and leaves the training thread and the others as they were', async () => {
    const before = threadNiceValues();
    const ownNice = getPriority();
    const link = await startNodeMeasureWorker(2);
    try {
      const lowered = await loweredThreads(before, link);
      expect(link.died).toBeNull();
      expect(lowered).toHaveLength(1);
      expect(getPriority()).toBe(ownNice);
      const after = threadNiceValues();
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid}`).toBe(nice);
    } finally {
      await link.terminate();
    }
  });

  // A worker starved of CPU, as on a machine with more runnable work than cores: its thread is pinned to one
  // core beside two CPU-bound processes there, in the idle scheduling class (util-linux's taskset and chrt),
  // where it runs only when nothing else on that core does. (The training thread and the rest of this process
  // are left where they were.) The spinners are children of this process, in its session: with the kernel's
  // autogroup scheduling, processes of another session share one group's weight and would hardly starve it.
  const tools = ['/usr/bin/taskset', '/usr/bin/chrt', '/usr/bin/timeout'];
  it.runIf(tools.every((tool) => existsSync(tool)))('does not hold the end of a run for a worker that cannot exit yet, and starts no second while it is exiting', async () => {
    const before = threadNiceValues();
    const link = await startNodeMeasureWorker(2);
    // Ended by `timeout` whatever happens here, so a test killed midway leaves nothing spinning for long.
    const spinners = [0, 1].map(() => spawn('/usr/bin/timeout', ['60', '/usr/bin/taskset', '-c', '0', process.execPath, '-e', 'for(;;);'], { stdio: 'ignore' }));
    try {
      const [tid] = await loweredThreads(before, link);
      expect(tid).toBeDefined();
      execFileSync('/usr/bin/taskset', ['-p', '-c', '0', tid!], { stdio: 'ignore' });
      execFileSync('/usr/bin/chrt', ['-i', '-p', '0', tid!], { stdio: 'ignore' });
      await sleep(500); // the spinners' Node has started and spins
      const t0 = performance.now();
      await link.terminate();
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(EXIT_WAIT_MS - 20);
      expect(waited).toBeLessThan(EXIT_WAIT_MS + 2000);
      expect(liveMeasureWorkers()).toBe(1); // still exiting
      // Declined at once, saying why; no second worker started.
      const t1 = performance.now();
      const declined = await startNodeMeasureWorker(2).then(
        () => null,
        (err: unknown) => err,
      );
      expect(performance.now() - t1).toBeLessThan(500);
      expect(declined).toBeInstanceOf(WorkerDeclined);
      expect((declined as Error).message).toMatch(
        /^an earlier run's worker is still exiting, \d+\.\d s after it was ended; its thread, at the lowest priority, gets little CPU when the machine has more runnable work than cores\. A later run measures in a worker again once it has gone$/,
      );
      expect(liveMeasureWorkers()).toBe(1);
      // A second terminate waits on the same exit, not another EXIT_WAIT_MS.
      const t2 = performance.now();
      await link.terminate();
      expect(performance.now() - t2).toBeLessThan(200);
    } finally {
      for (const spinner of spinners) spinner.kill('SIGTERM'); // timeout passes it on to the spinner
      await link.terminate();
    }
    // Given the core back, it exits.
    expect(await measureWorkersLeft()).toBe(0);
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
