/**
 * The Node measurement worker is a process of its own (reached through a
 * relay thread) whose every thread runs at the lowest priority: SCHED_IDLE
 * where util-linux's chrt is on PATH, else nice 19. Read from the kernel's
 * own records (/proc), not from anything the worker reports: its threads'
 * scheduling, this process's threads left as they were, and the process
 * gone when the link ends or the training process is killed.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { MeasureWorkerLink } from '../../measure-worker/link.js';
import type { InitMessage } from '../../measure-worker/messages.js';
import { measureWorkerFile, startNodeMeasureWorker } from './node-measure-worker.js';

const SCHED_IDLE = 5;

/** thread id → { nice, policy } for every thread of process `pid`. */
function threads(pid: number | 'self'): Map<string, { nice: number; policy: number }> {
  const out = new Map<string, { nice: number; policy: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // the process is gone
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after "(comm)" start at field 3 (state): nice is field 19, policy field 41 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { nice: Number(fields[16]), policy: Number(fields[38]) });
    } catch {
      // the thread ended while we listed
    }
  }
  return out;
}

/** Whether `pid` runs (a zombie, ended and not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Processes whose parent is `parent` and whose command line runs the measurement entry. */
function measurementProcesses(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('node-entry.js')) out.push(Number(name));
    } catch {
      // gone while we listed
    }
  }
  return out;
}

async function waitFor<T>(what: string, get: () => T | null, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until every thread of `pid` is lowered (the entry lowers them once
 * tfjs has loaded); returns them. More than one: node's own helper threads,
 * not chrt's single thread before it starts node.
 */
const lowered = (link: MeasureWorkerLink, pid: number, isLow: (t: { nice: number; policy: number }) => boolean) =>
  waitFor('the measurement process to lower its threads', () => {
    if (link.died) throw link.died;
    const all = threads(pid);
    return all.size > 1 && [...all.values()].every(isLow) ? all : null;
  });

/** With PATH set to `path` in this process while the link starts (the relay reads it when it starts). */
async function startWithPath(path: string): Promise<MeasureWorkerLink> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await startNodeMeasureWorker(2);
  } finally {
    process.env.PATH = saved;
  }
}

// A process already at nice 19 could not tell the worker's threads from the others.
describe.runIf(process.platform === 'linux' && getPriority() < 19)('the Node measurement process', () => {
  it('runs every thread under SCHED_IDLE where chrt is found, leaves this process’s threads as they were, and is ended and reaped with the link', async () => {
    const before = threads('self');
    const link = await startNodeMeasureWorker(2);
    let pid = 0;
    try {
      pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
      await lowered(link, pid, (t) => t.policy === SCHED_IDLE);
      const after = threads('self');
      for (const [tid, t] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid}`).toEqual(t);
    } finally {
      await link.terminate();
    }
    // Gone from the process table, not a zombie: this process (its relay) reaped it.
    await waitFor('the measurement process to exit and be reaped', () => (existsSync(`/proc/${pid}`) ? null : true), 10_000);
  });

  it('without chrt on PATH, lowers every thread of its process to nice 19', async () => {
    const link = await startWithPath('/nonexistent-dir');
    try {
      const pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
      await lowered(link, pid, (t) => t.nice === 19 && t.policy === 0);
    } finally {
      await link.terminate();
    }
  });

  it('where chrt fails (a sandbox that forbids the policy), starts the process plainly and still answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-chrt-'));
    const fake = join(dir, 'chrt');
    writeFileSync(fake, '#!/bin/sh\necho "chrt: failed to set pid 0\'s policy: Operation not permitted" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const link = await startWithPath(`${dir}:${process.env.PATH}`);
    try {
      // Posted at once, while the relay finds chrt failing: the process it starts plainly gets it.
      // Its topology is not a model, so the answer is a rebuild failure: an answer from the process started plainly.
      const init: InitMessage = { type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null };
      link.post(init);
      const reply = await waitFor('an answer', () => {
        if (link.died) throw link.died;
        return link.poll() ?? null;
      });
      expect(reply).toMatchObject({ type: 'failed', phase: 'rebuild' });
      const pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
      await lowered(link, pid, (t) => t.nice === 19 && t.policy === 0);
    } finally {
      await link.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a measurement process killed mid-run is reported as the worker gone, naming the signal', async () => {
    const link = await startNodeMeasureWorker(2);
    try {
      const pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
      await lowered(link, pid, (t) => t.policy === SCHED_IDLE || t.nice === 19);
      process.kill(pid, 'SIGKILL');
      const died = await waitFor('the link to see it', () => link.died);
      expect(died.message).toContain('the measurement process ended on SIGKILL');
      await waitFor('it to be reaped', () => (existsSync(`/proc/${pid}`) ? null : true), 10_000);
    } finally {
      await link.terminate();
    }
  });

  it('exits when the training process is killed', async () => {
    // A training process of its own (this test's would end the run): it starts the link, then is SIGKILLed.
    const platform = new URL('./node-measure-worker.js', measureWorkerFile('node-entry.js').href.replace('/measure-worker/node-entry.js', '/platform/node/'));
    const script = `import { startNodeMeasureWorker } from ${JSON.stringify(platform.href)}; await startNodeMeasureWorker(2); setInterval(() => {}, 1000);`;
    const trainer = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    try {
      const pid = await waitFor('the measurement process', () => measurementProcesses(trainer.pid!)[0] ?? null);
      trainer.kill('SIGKILL');
      await waitFor('the measurement process to exit after its training process died', () => (alive(pid) ? null : true), 15_000);
    } finally {
      trainer.kill('SIGKILL');
    }
  });
});

/** A relay thread started as startNodeMeasureWorker starts it, with `entry` as the measurement process's file. */
function startRelay(entry: string): { worker: Worker; error: Promise<Error>; end: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(measureWorkerFile('node-relay.js'), { workerData: { port: port2, entry }, transferList: [port2], execArgv: [] });
  const error = new Promise<Error>((resolve) => worker.on('error', resolve));
  return {
    worker,
    error,
    async end() {
      port1.close();
      await worker.terminate();
    },
  };
}

/** The built training-side module, for a training process of a test's own. */
const platformModule = new URL('./node-measure-worker.js', measureWorkerFile('node-entry.js').href.replace('/measure-worker/node-entry.js', '/platform/node/'));

describe.runIf(process.platform === 'linux')('the Node measurement process, what can go wrong', () => {
  it('keeps measuring when Ctrl-C or a group SIGTERM reaches a training process that traps it to stop gracefully', async () => {
    // A training process in a process group of its own (as a shell runs a job), trapping SIGINT and SIGTERM;
    // after the signals it asks its measurement process for an answer.
    const script = `
      import { startNodeMeasureWorker } from ${JSON.stringify(platformModule.href)};
      process.on('SIGINT', () => {});
      process.on('SIGTERM', () => {});
      const link = await startNodeMeasureWorker(2);
      process.stdin.once('data', async () => {
        link.post({ type: 'init', modelJson: '{}', loss: null, probe: { xs: [], ys: null }, measure: {}, trainingBackend: 'wasm', backend: null });
        let reply;
        while (!(reply = link.poll()) && !link.died) await new Promise((r) => setTimeout(r, 50));
        console.log(JSON.stringify({ died: link.died ? link.died.message : null, reply: reply ? reply.type : null }));
        await link.terminate();
        process.exit(0);
      });
    `;
    const trainer = spawn(process.execPath, ['--input-type=module', '-e', script], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      trainer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('the measurement process', () => measurementProcesses(trainer.pid!)[0] ?? null);
      process.kill(-trainer.pid!, 'SIGINT');
      process.kill(-trainer.pid!, 'SIGTERM');
      trainer.stdin!.write('go\n');
      const line = await waitFor('the training process to report', () => out.split('\n').find((l) => l.startsWith('{')) ?? null);
      // 'failed' (its topology is not a model) is the measurement process answering.
      expect(JSON.parse(line)).toEqual({ died: null, reply: 'failed' });
    } finally {
      trainer.kill('SIGKILL');
    }
  });

  it('a measurement process that fails as it starts is started once, and the error names its reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-entry-'));
    const starts = join(dir, 'starts');
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, `import { appendFileSync } from 'node:fs'; appendFileSync(${JSON.stringify(starts)}, 'start\\n'); throw new Error('the tfjs of this test is broken');\n`);
    const relay = startRelay(entry);
    try {
      const err = await relay.error;
      expect(err.message).toContain('the measurement process ended with code 1');
      expect(err.message).toContain('the tfjs of this test is broken');
      // Under a working chrt the relay used to take node's own failure for chrt's and start it a second time.
      expect(readFileSync(starts, 'utf8')).toBe('start\n');
    } finally {
      await relay.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing entry file: the error names it', async () => {
    const relay = startRelay('/nonexistent/gradscope/node-entry.js');
    try {
      expect((await relay.error).message).toMatch(/Cannot find module '\/nonexistent\/gradscope\/node-entry\.js'/);
    } finally {
      await relay.end();
    }
  });
  it('holds one snapshot, not every step\'s, for a measurement process that gets no CPU, and answers the others skipped', async () => {
    const link = await startNodeMeasureWorker(2);
    const pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
    // No CPU at all: SCHED_IDLE on cores that other work keeps busy, taken to the limit.
    process.kill(pid, 'SIGSTOP');
    try {
      const rss0 = process.memoryUsage().rss;
      const steps = 600;
      for (let step = 1; step <= steps; step++) {
        const values = new Float32Array(250_000); // 1 MB of weights a step
        link.post({ type: 'snapshot', step, epoch: 0, weights: [{ layer: 'l', values: [{ shape: [values.length], dtype: 'float32', values }] }], gradNormHistory: [] }, [values.buffer]);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const grewMb = (process.memoryUsage().rss - rss0) / 1e6;
      const skipped: number[] = [];
      for (let r = link.poll(); r; r = link.poll()) if (r.type === 'skipped') skipped.push(r.step);
      expect(skipped.length, 'snapshots answered skipped while the process was stopped').toBeGreaterThanOrEqual(steps - 5);
      // Held as they came, they would be 600 MB; held one at a time, what grows is garbage not yet collected.
      expect(grewMb, 'MB this process grew by').toBeLessThan(200);
    } finally {
      process.kill(pid, 'SIGCONT');
      await link.terminate();
    }
  });

  // Known, not fixed: a relay ended by force (terminate() gives it 1 s) takes its process's reaping with it
  // (libuv reaps only the children of the loop that spawned them), and the process, which exits when its
  // channel closes, stays a zombie until the training process ends.
  it.fails('a relay ended by force leaves no zombie', async () => {
    const relay = startRelay(fileURLToPath(measureWorkerFile('node-entry.js')));
    const pid = await waitFor('the measurement process', () => measurementProcesses(process.pid)[0] ?? null);
    await relay.end();
    await waitFor('the measurement process to exit and be reaped', () => (existsSync(`/proc/${pid}`) ? null : true), 2_000);
  });
});
