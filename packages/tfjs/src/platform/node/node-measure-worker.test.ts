/**
 * The Node measurement worker: a process of its own. Its priority, its
 * death and its end are read from the
 * kernel's own records (/proc), not from anything the worker reports; its
 * starvation is made with util-linux's taskset and chrt and real CPU-bound
 * processes.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { WorkerDeclined, type MeasureWorkerLink } from '../../measure-worker/link.js';
import type { FromWorker } from '../../measure-worker/messages.js';
import { workerInit } from '../../monitor/worker-init.js';
import { measureWorkersLeft } from '../../test-helpers/measure-workers-left.js';
import { data, rnn } from '../../test-helpers/worker-models.js';
import { EXIT_WAIT_MS, liveMeasureWorkers, nodeWorkerEntry, startNodeMeasureWorker } from './node-measure-worker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fields of /proc/<pid>/stat after "(comm)": state is [0], ppid [1], nice [16] (proc(5)). */
function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone while we looked
  }
}

/** thread id → nice value, for every thread of process `pid`. */
function threadNiceValues(pid: number | 'self'): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (fields) out.set(tid, Number(fields[16]));
  }
  return out;
}

/** The measurement processes whose parent is `parent`, by pid: children running the worker's entry. */
function measureProcesses(parent = process.pid): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(`/proc/${name}/stat`);
    if (!fields || Number(fields[1]) !== parent || fields[0] === 'Z') continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes('measure-worker/node-entry.js')) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/** Whether process `pid` still exists (a zombie counts: it is not reaped yet). */
const exists = (pid: number) => existsSync(`/proc/${pid}`);


/** Starts a worker, sends it a small real model, and waits for its 'ready' (at most 60 s). */
async function readyWorker(): Promise<{ link: MeasureWorkerLink; pid: number }> {
  const link = await startNodeMeasureWorker(2);
  const model = rnn();
  const { xs } = data(2);
  const { init, transfer } = await workerInit(model, { xs: [xs] }, {});
  model.dispose();
  xs.dispose();
  link.post({ ...init, backend: link.backend }, transfer);
  const deadline = Date.now() + 60_000;
  let reply: FromWorker | undefined;
  while (!(reply = link.poll()) && !link.died && Date.now() < deadline) await sleep(20);
  expect(link.died).toBeNull();
  expect(reply?.type).toBe('ready');
  const [pid] = measureProcesses();
  expect(pid).toBeDefined();
  return { link, pid: pid! };
}

/** Resolves to how long until `pid` is gone (reaped), or null after `ms`. */
async function goneWithin(pid: number, ms: number): Promise<number | null> {
  const t0 = performance.now();
  while (exists(pid)) {
    if (performance.now() - t0 > ms) return null;
    await sleep(10);
  }
  return performance.now() - t0;
}

// A process already at nice 19 could not tell the worker's threads from the others.
describe.runIf(process.platform === 'linux' && getPriority() < 19)('the Node measurement worker', () => {
  it('lowers every thread of its own process to nice 19 once ready, and leaves the training process as it was', async () => {
    const before = threadNiceValues('self');
    const { link, pid } = await readyWorker();
    try {
      const theirs = threadNiceValues(pid);
      expect(theirs.size).toBeGreaterThan(1); // its main thread and V8's helpers
      for (const [tid, nice] of theirs) expect(nice, `thread ${tid} of the measurement process`).toBe(19);
      const after = threadNiceValues('self');
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid} of the training process`).toBe(nice);
      for (const [tid, nice] of after) expect(nice, `thread ${tid} of the training process`).toBe(getPriority());
    } finally {
      await link.terminate();
    }
    expect(await measureWorkersLeft()).toBe(0);
  });

  it('is reaped when its run ends: no process or zombie left', async () => {
    const { link, pid } = await readyWorker();
    await link.terminate();
    expect(await goneWithin(pid, 5000)).not.toBeNull();
    expect(await measureWorkersLeft()).toBe(0);
  });

  it('outlives signals meant for training (Ctrl-C, a closed terminal, SIGTERM to the group), and still answers', async () => {
    const { link, pid } = await readyWorker();
    try {
      for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.kill(pid, signal);
      await sleep(300);
      expect(exists(pid)).toBe(true);
      expect(link.died).toBeNull();
      // Still reading its channel: an init it cannot rebuild is answered.
      link.post({ type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null });
      const deadline = Date.now() + 10_000;
      let reply: FromWorker | undefined;
      while (!(reply = link.poll()) && Date.now() < deadline) await sleep(10);
      expect(reply).toMatchObject({ type: 'failed', phase: 'rebuild' });
    } finally {
      await link.terminate();
    }
  });

  it('dying (killed from outside) is the link’s death, named, and it is reaped', async () => {
    const { link, pid } = await readyWorker();
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (!link.died && Date.now() < deadline) await sleep(10);
    expect(link.died?.message).toBe('the measurement process was killed by SIGKILL');
    expect(await measureWorkersLeft()).toBe(0);
    expect(exists(pid)).toBe(false);
    await link.terminate(); // after its death: nothing to wait for
  });

  // A worker starved of CPU, as on a machine with more runnable work than cores: its process is pinned to one
  // core beside two CPU-bound processes there, in the idle scheduling class (util-linux's taskset and chrt),
  // where it runs only when nothing else on that core does. (The training process is left where it was.) The
  // spinners are children of this process, in its session: with the kernel's autogroup scheduling, processes of
  // another session share one group's weight and would hardly starve it.
  const tools = ['/usr/bin/taskset', '/usr/bin/chrt', '/usr/bin/timeout'];
  const starve = (pid: number): ChildProcess[] => {
    execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
    execFileSync('/usr/bin/chrt', ['-a', '-i', '-p', '0', String(pid)], { stdio: 'ignore' });
    // Ended by `timeout` whatever happens here, so a test killed midway leaves nothing spinning for long.
    return [0, 1].map(() => spawn('/usr/bin/timeout', ['60', '/usr/bin/taskset', '-c', '0', process.execPath, '-e', 'for(;;);'], { stdio: 'ignore' }));
  };
  const stop = (spinners: ChildProcess[]) => {
    for (const spinner of spinners) spinner.kill('SIGTERM'); // timeout passes it on to the spinner
  };

  it.runIf(tools.every((tool) => existsSync(tool)))('does not hold the end of a run for a process that cannot exit yet, and starts no second while it is exiting', async () => {
    const { link, pid } = await readyWorker();
    const spinners = starve(pid);
    try {
      await sleep(500); // the spinners' Node has started and spins
      const t0 = performance.now();
      await link.terminate();
      const waited = performance.now() - t0;
      // The kill is pending on a process that gets no CPU to die: the end waits EXIT_WAIT_MS, no more.
      expect(exists(pid)).toBe(true);
      expect(waited).toBeGreaterThanOrEqual(EXIT_WAIT_MS - 20);
      expect(liveMeasureWorkers()).toBe(1); // not reaped yet
      // Declined at once, saying why; no second worker started.
      const t1 = performance.now();
      const declined = await startNodeMeasureWorker(2).then(
        () => null,
        (err: unknown) => err,
      );
      expect(performance.now() - t1).toBeLessThan(500);
      expect(declined).toBeInstanceOf(WorkerDeclined);
      expect((declined as Error).message).toMatch(
        /^an earlier run's measurement process is still exiting, \d+\.\d s after it was ended; at the lowest priority, it gets little CPU when the machine has more runnable work than cores\. A later run measures in a worker again once it has gone$/,
      );
      // (Mid-exit, its command line is already gone from /proc: no other process may be there.)
      expect(measureProcesses().filter((other) => other !== pid)).toEqual([]);
      expect(waited).toBeLessThan(EXIT_WAIT_MS + 2000);
      // A second terminate waits on the same exit, not another EXIT_WAIT_MS.
      const t2 = performance.now();
      await link.terminate();
      expect(performance.now() - t2).toBeLessThan(200);
    } finally {
      stop(spinners);
      await link.terminate();
    }
    // Given the core back, it dies and is reaped.
    expect(await measureWorkersLeft()).toBe(0);
    expect(exists(pid)).toBe(false);
  });

  it.runIf(tools.every((tool) => existsSync(tool)))('a training process that ends does not wait for its starved measurement process, which ends too', async () => {
    // A training process of its own, which ends (returns from its script) once told to on stdin.
    const platform = new URL('../platform/node/node-measure-worker.js', nodeWorkerEntry()).href;
    const init = new URL('../monitor/worker-init.js', nodeWorkerEntry()).href;
    const script = [
      "import * as tf from '@tensorflow/tfjs';",
      `import { startNodeMeasureWorker } from ${JSON.stringify(platform)};`,
      `import { workerInit } from ${JSON.stringify(init)};`,
      'const link = await startNodeMeasureWorker(2);',
      'const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 4, inputShape: [5, 2] })] });',
      'const { init, transfer } = await workerInit(model, { xs: [tf.ones([1, 5, 2])] }, {});',
      'link.post({ ...init, backend: null }, transfer);',
      'let reply;',
      'while (!(reply = link.poll()) && !link.died) await new Promise((r) => setTimeout(r, 20));',
      'console.log(JSON.stringify(reply));',
      "process.stdin.once('data', () => { process.stdin.destroy(); });",
    ].join('\n');
    const training = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../', nodeWorkerEntry())), stdio: ['pipe', 'pipe', 'inherit'] });
    let spinners: ChildProcess[] = [];
    try {
      const ready = await new Promise<string>((resolve) => training.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      expect(JSON.parse(ready)).toMatchObject({ type: 'ready' });
      const [pid] = measureProcesses(training.pid);
      expect(pid).toBeDefined();
      spinners = starve(pid!);
      await sleep(500);
      const t0 = performance.now();
      const ended = new Promise<number | null>((resolve) => training.once('exit', (code) => resolve(code)));
      training.stdin!.write('end\n');
      expect(await ended).toBe(0);
      // Its script returned; the measurement process, its channel gone, is left to die on its own.
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(exists(pid!)).toBe(true); // still starved: the exit above did not wait for it
      stop(spinners);
      expect(await goneWithin(pid!, 30_000)).not.toBeNull();
    } finally {
      stop(spinners);
      training.kill('SIGKILL');
    }
  });
});

describe('the Node measurement worker, started from a training process run with flags of its own', () => {
  it('starts and answers under `node --input-type=module -e`, with `--inspect-brk` in NODE_OPTIONS (the training process’s flags, not the worker’s)', () => {
    // A training process of its own: this test's runs without such flags. It posts an init whose topology
    // is not a model; the answer is a rebuild failure, which only a worker that started can give. The
    // measurement process's NODE_OPTIONS are read from the kernel (/proc/<pid>/environ).
    const platform = new URL('../platform/node/node-measure-worker.js', nodeWorkerEntry()).href;
    const script = [
      "import { readdirSync, readFileSync } from 'node:fs';",
      `import { startNodeMeasureWorker } from ${JSON.stringify(platform)};`,
      // Set here, after this script's own start: with --inspect-brk the measurement process, were the flag passed
      // on, would wait for a debugger at its first line and never answer.
      "process.env.NODE_OPTIONS = '--inspect-brk=127.0.0.1:0 --max-old-space-size=3000';",
      'const link = await startNodeMeasureWorker(2);',
      "link.post({ type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null });",
      'const deadline = Date.now() + 60_000;',
      'let reply;',
      'while (!(reply = link.poll()) && !link.died && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));',
      'let childOptions = null;',
      "for (const pid of readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {",
      '  try {',
      "    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');",
      "    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;",
      "    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\\0');",
      "    childOptions = env.find((e) => e.startsWith('NODE_OPTIONS='))?.slice(13) ?? '';",
      '  } catch {}',
      '}',
      'console.log(JSON.stringify({ reply: reply ?? null, died: link.died?.message ?? null, childOptions }));',
      'await link.terminate();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 90_000,
    });
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(out.died, run.stderr).toBeNull();
    expect(out.reply).toMatchObject({ type: 'failed', phase: 'rebuild' });
    if (process.platform === 'linux') expect(out.childOptions).toBe('--max-old-space-size=3000');
  });
});
