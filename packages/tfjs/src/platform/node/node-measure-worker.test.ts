/**
 * The Node measurement worker: a relay thread at the lowest priority in
 * this process, and a measurement process whose every thread runs in the
 * idle scheduling class (nice 19 where chrt is missing), which ends with
 * the run and with a training process that dies. Read from the kernel's own
 * records (/proc), not from anything the worker reports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { InitMessage } from '../../measure-worker/messages.js';
import { nodeWorkerEntry, startNodeMeasureWorker } from './node-measure-worker.js';

/** Fields of /proc/…/stat after "(comm)", from state (field 3 in proc(5)) on: field N is at index N − 3. */
function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // it ended while we read
  }
}

/** thread id → [nice value, scheduling policy], for every thread of process `pid`. */
function threads(pid: number | 'self'): Map<string, { nice: number; policy: number }> {
  const out = new Map<string, { nice: number; policy: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const f = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (f) out.set(tid, { nice: Number(f[16]), policy: Number(f[38]) });
  }
  return out;
}

/** Processes whose parent is `parent` (field 4: ppid), with their state (field 3). */
function children(parent: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(`/proc/${entry}/stat`);
    if (f && Number(f[1]) === parent) out.push({ pid: Number(entry), state: f[0]! });
  }
  return out;
}

/** Whether process `pid` still runs: its /proc entry is there and it is not a zombie (exited, not yet reaped by its parent). */
function running(pid: number): boolean {
  const f = existsSync(`/proc/${pid}`) ? statFields(`/proc/${pid}/stat`) : null;
  return f !== null && f[0] !== 'Z' && f[0] !== 'X';
}

async function until<T>(what: () => T | null | undefined | false, ms = 60_000): Promise<T | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value || Date.now() > deadline) return value || null;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
const chrt = spawnSync('chrt', ['--version']).status === 0;
/** The init every test posts: a topology that is not a model, answered with a rebuild failure by a worker that started. */
const badInit: InitMessage = { type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null };

// A process already at nice 19 could not tell the relay's thread from the others.
describe.runIf(process.platform === 'linux' && getPriority() < 19)('the Node measurement worker', () => {
  it('relays from a thread at nice 19 to a process all of whose threads run at the lowest priority, and ends that process, reaped, with the run', async () => {
    const before = threads('self');
    const ownNice = getPriority();
    const link = await startNodeMeasureWorker(2);
    let child: number | null = null;
    try {
      link.post(badInit);
      const reply = await until(() => link.poll() ?? (link.died ? { type: 'died' } : null));
      expect(link.died).toBeNull();
      expect(reply).toMatchObject({ type: 'failed', phase: 'rebuild' });
      // This process: one new thread at 19 (the relay), every other thread as it was, the training thread's own value kept.
      const lowered = [...threads('self')].filter(([tid, t]) => t.nice === 19 && !before.has(tid));
      expect(lowered).toHaveLength(1);
      expect(getPriority()).toBe(ownNice);
      const after = threads('self');
      for (const [tid, t] of before) if (after.has(tid)) expect(after.get(tid)!.nice, `thread ${tid}`).toBe(t.nice);
      // The measurement process: a child of this one (the relay thread forked it), named for what it is.
      const kids = children(process.pid).filter((c) => readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').startsWith('gradscope-measure'));
      expect(kids).toHaveLength(1);
      child = kids[0]!.pid;
      const own = [...threads(child).values()];
      expect(own.length).toBeGreaterThan(1); // V8's helpers too, not only its JavaScript thread
      for (const t of own) {
        if (chrt) expect(t.policy).toBe(SCHED_IDLE);
        else expect(t).toEqual({ nice: 19, policy: SCHED_OTHER });
      }
    } finally {
      await link.terminate();
    }
    // Ended and reaped: no zombie left behind in a training process that runs for days.
    expect(await until(() => !existsSync(`/proc/${child}`), 10_000)).toBe(true);
  });

  it('a measurement process that dies (SIGKILL, as the OOM killer sends) is a dead worker, named as such', async () => {
    const link = await startNodeMeasureWorker(2);
    try {
      link.post(badInit);
      expect(await until(() => link.poll() ?? link.died)).toMatchObject({ type: 'failed', phase: 'rebuild' });
      const kids = children(process.pid).filter((c) => running(c.pid));
      expect(kids).toHaveLength(1);
      process.kill(kids[0]!.pid, 'SIGKILL');
      const died = await until(() => link.died);
      expect(died?.message).toBe('the measurement process exited (SIGKILL)');
    } finally {
      await link.terminate();
    }
  });

  it('the measurement process ends when the training process is killed (SIGKILL)', async () => {
    // A training process of its own, which starts the worker and is then killed without a chance to clean up.
    const platform = new URL('../platform/node/node-measure-worker.js', nodeWorkerEntry()).href;
    const script = [
      `import { startNodeMeasureWorker } from ${JSON.stringify(platform)};`,
      'const link = await startNodeMeasureWorker(2);',
      `link.post(${JSON.stringify(badInit)});`,
      'while (!link.poll() && !link.died) await new Promise((r) => setTimeout(r, 20));',
      "console.log('answered');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const training = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      training.stdout!.on('data', (chunk) => (out += chunk));
      expect(await until(() => out.includes('answered'))).toBe(true);
      const kids = children(training.pid!);
      expect(kids).toHaveLength(1);
      const child = kids[0]!.pid;
      expect(running(child)).toBe(true);
      training.kill('SIGKILL');
      // Its channel closes with the training process; it reads that at once when idle (mid-measurement: after it).
      expect(await until(() => !running(child), 30_000)).toBe(true);
    } finally {
      training.kill('SIGKILL');
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
      `link.post(${JSON.stringify(badInit)});`,
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
