import { fork } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { medianInterval, summary } from '../lib/stats.mjs';

/**
 * Benchmark 7's target row as the steady state of a long run: one process
 * per variant (plain training, the monitor with its worker, a second plain
 * process as the control), each in one model.fit over all its turns,
 * taking turns on the machine — one process runs for `turnMs` (to the end
 * of a step) while the others are stopped (SIGSTOP, their measurement
 * workers with them). Each cycle gives every variant one turn, the order
 * rotating (P W C, W C P, C P W, …): each variant takes each place equally
 * often and none follows itself. Per monitored variant, the time per
 * training step over all its turns, over plain training's (both plain
 * processes'; see plainPerStep); the control, one plain process over the
 * other.
 *
 * Why: whole runs one after the other (the grid's rows) compare training
 * over stretches of 10–15 s, and on this shared host such a stretch of plain
 * training against the next of plain training read 0.84–1.33 (thirty-fifth
 * round of RESULTS.md): nine rounds' median then has a 96% interval about
 * ±0.3 wide. Turns of a second, side by side, see the same host; the
 * control's ratio says how close they come. The turns start after
 * `warmSteps` steps, past the worker's start and first measurement (checked:
 * `workerStartStep`), so this is what a long run pays per step, not what its
 * start costs: the grid's whole runs have that.
 *
 * Linux only: the parent confirms that a child has stopped in
 * /proc/<pid>/stat.
 */

const CHILD = new URL('./alternating-child.mjs', import.meta.url);
/** How long a child may take to train its warm-up steps (its worker's start among them on a busy host). */
const WARM_TIMEOUT_MS = 180_000;
/** How long after its message a child may take to be seen stopped; and, without a message, how often to look. */
const STOP_LOOK_MS = 100;

/** Whether process `pid` is stopped ('T' in /proc/<pid>/stat); throws when it is gone. */
function isStopped(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = stat.lastIndexOf(')');
  return stat.slice(after + 2, after + 3) === 'T';
}

/** Kills the process groups of `procs` at once (SIGKILL; the stopped ones too). */
function killAll(procs) {
  for (const proc of procs) {
    try {
      process.kill(-proc.child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Starts one variant's process: { child, turns: [{ steps, ms, lastStep }], logdir, failure, messages }. */
function launch(config, options) {
  const child = fork(CHILD, [JSON.stringify({ ...config, options })], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const proc = { child, turns: [], logdir: null, failure: null, stderr: '', messages: 0, wake: null };
  child.stderr.on('data', (chunk) => (proc.stderr = (proc.stderr + chunk).slice(-2000)));
  child.on('message', (m) => {
    if (m.logdir) proc.logdir = m.logdir;
    else if (m.error) proc.failure = m.error;
    else {
      if (!m.warm) proc.turns.push(m);
      proc.messages++;
    }
    proc.wake?.();
  });
  const failed = (why) => {
    proc.failure ??= why;
    proc.wake?.();
  };
  child.on('error', (err) => failed(`could not start (${err.message})`));
  child.on('exit', (code, signal) => failed(`exited (${signal ?? code})${proc.stderr ? `: ${proc.stderr.trim().split('\n').at(-1)}` : ''}`));
  return proc;
}

/**
 * Resolves when `proc` has sent its `count`-th stop message and stopped;
 * rejects when it fails or takes longer than `timeoutMs`. Until its message
 * it is only looked at every STOP_LOOK_MS (a message can be held in the
 * child: it then goes on being looked for).
 */
async function stopped(proc, count, timeoutMs, what) {
  const t0 = performance.now();
  for (;;) {
    if (proc.failure) throw new Error(`bench 7 (alternating): the ${what} process ${proc.failure}`);
    const told = proc.messages >= count;
    if ((told || performance.now() - t0 > STOP_LOOK_MS) && isStopped(proc.child.pid)) return;
    if (performance.now() - t0 > timeoutMs) throw new Error(`bench 7 (alternating): the ${what} process did not stop within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => {
      proc.wake = resolve;
      setTimeout(resolve, told ? 1 : STOP_LOOK_MS);
    });
    proc.wake = null;
  }
}

/** The measurement events a child wrote in its logdir: [{ step, measuredIn }] (a killed run's last line may be cut). */
function measurements(logdir) {
  const runs = logdir ? readdirSync(logdir) : [];
  if (runs.length !== 1) return [];
  const lines = readFileSync(path.join(logdir, runs[0], 'events.jsonl'), 'utf8').split('\n');
  const events = lines.flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
  return events.filter((e) => e.type === 'measurement').map((e) => ({ step: e.step, measuredIn: e.measuredIn ?? 'unreported' }));
}

/** Time per step over a list of turns. */
const perStep = (turns) => turns.reduce((s, t) => s + t.ms, 0) / turns.reduce((s, t) => s + t.steps, 0);

/**
 * Plain training's time per step over the same turns of every plain
 * process (`plains`: their turn lists): the geometric mean of theirs.
 * Why more than one: two plain processes stayed 4.7% apart over 72 turns
 * each (thirty-fifth round), a process's own speed (where its memory
 * landed, say) that more turns do not average out; against one of them
 * the monitored process read ×1.006, against both ×1.031.
 */
const plainPerStep = (plains) => Math.exp(plains.reduce((s, turns) => s + Math.log(perStep(turns)), 0) / plains.length);

/**
 * The monitored variant's measurements over its timed turns: how many, steps
 * per measurement, the longest gap between measured steps, where they ran,
 * and the step of the worker's first after step 0 (null: none before the
 * turns, whose first steps may then carry its start).
 */
function cadence(ms, turns, warmSteps) {
  const last = turns.at(-1).lastStep;
  const steps = turns.reduce((s, t) => s + t.steps, 0);
  const timed = ms.filter((m) => m.step >= warmSteps && m.step <= last);
  const gaps = timed.slice(1).map((m, i) => m.step - timed[i].step);
  const where = Object.fromEntries([...new Set(timed.map((m) => m.measuredIn))].map((w) => [w, timed.filter((m) => m.measuredIn === w).length]));
  const start = ms.find((m) => m.step > 0 && m.measuredIn === 'worker');
  return {
    count: timed.length,
    stepsPer: timed.length ? steps / timed.length : Infinity,
    longestGap: gaps.length ? Math.max(...gaps) : null,
    where,
    workerStartStep: start && start.step < warmSteps ? start.step : null,
  };
}

/**
 * Runs the variants in turns. `config`: { cell, units, steps, batch, turnMs,
 * cycles, blocks, warmSteps }, the cycles a whole number of blocks and each
 * block a whole number of rotations; `variants`: { name: gradscope options,
 * or null for plain training }, the first of them plain.
 * Returns { stepMs: { name: ms },
 * ratios: { name: { pooled, blocks, interval } } for every monitored
 * variant (over all plain processes) and every plain one but the first
 * (over the first), measured: { name: cadence() } for the monitored }, or
 * { unavailable } off Linux.
 */
export async function alternatingRuns(config, variants, log) {
  if (process.platform !== 'linux') return { unavailable: 'needs Linux, where /proc shows a process stopped' };
  const names = Object.keys(variants);
  const size = config.cycles / config.blocks;
  if (!Number.isInteger(size) || size % names.length !== 0) throw new Error(`bench 7 (alternating): ${config.cycles} cycles do not make ${config.blocks} blocks of whole rotations of ${names.length} variants`);
  const procs = {};
  // Stopped children outlive a parent that dies: killed with it (a signal's default ends the parent before any finally).
  const killOnExit = () => killAll(Object.values(procs));
  const killOnSignal = (signal) => {
    killOnExit();
    process.off(signal, killOnSignal);
    process.kill(process.pid, signal);
  };
  process.on('exit', killOnExit);
  process.on('SIGINT', killOnSignal);
  process.on('SIGTERM', killOnSignal);
  try {
    try {
      await takeTurns(config, names, procs, variants, log);
    } finally {
      killAll(Object.values(procs));
      await Promise.all(Object.values(procs).map((proc) => (proc.child.exitCode === null && proc.child.signalCode === null ? new Promise((resolve) => proc.child.once('exit', resolve)) : null)));
      process.off('exit', killOnExit);
      process.off('SIGINT', killOnSignal);
      process.off('SIGTERM', killOnSignal);
    }
    // Read once the children are gone: their events files are whole but for a last line cut by the kill.
    return summarise(config, variants, names, procs);
  } finally {
    for (const proc of Object.values(procs)) rmSync(proc.logdir ?? '', { recursive: true, force: true });
  }
}

/** Starts the children into `procs` (each stopped after its warm-up), then runs the cycles; throws when a child fails. */
async function takeTurns(config, names, procs, variants, log) {
  // One after another: a warm-up beside another's would be slower for the first.
  for (const name of names) {
    procs[name] = launch(config, variants[name]);
    await stopped(procs[name], 1, WARM_TIMEOUT_MS, name);
  }
  log(`  alternating turns: ${names.join(', ')} warm; ${config.cycles} cycles of ${config.turnMs} ms turns`);
  for (let c = 0; c < config.cycles; c++) {
    const order = [...names.slice(c % names.length), ...names.slice(0, c % names.length)];
    for (const name of order) {
      process.kill(-procs[name].child.pid, 'SIGCONT');
      // A turn is turnMs and the rest of a step; ten turns' time is long past, whatever the host does.
      await stopped(procs[name], 2 + c, 10 * config.turnMs + 60_000, name);
    }
  }
  // Untimed: every child runs a while longer, so that its sink flushes the turns' events (at least once a
  // second) and a report held in it arrives.
  for (const proc of Object.values(procs)) process.kill(-proc.child.pid, 'SIGCONT');
  await new Promise((resolve) => setTimeout(resolve, 2 * Math.max(config.turnMs, 1000)));
  for (const [name, proc] of Object.entries(procs)) {
    if (proc.turns.length < config.cycles) throw new Error(`bench 7 (alternating): ${name} reported ${proc.turns.length} of ${config.cycles} turns${proc.failure ? `; it ${proc.failure}` : ''}`);
  }
}

/** The figures of the turns (see alternatingRuns), the children's events read from their logdirs. */
function summarise(config, variants, names, procs) {
  const size = config.cycles / config.blocks;
  const result = { stepMs: {}, ratios: {}, measured: {} };
  const turns = Object.fromEntries(names.map((name) => [name, procs[name].turns.slice(0, config.cycles)]));
  const plains = names.filter((name) => variants[name] === null);
  const block = (list, b) => list.slice(b * size, (b + 1) * size);
  /** { pooled, blocks, interval } of a step-time ratio `of(b)`: over block b's turns, or all turns for null. */
  const ratio = (of) => {
    // Per block of consecutive cycles, the same ratio: how much it moves with the host.
    const blocks = Array.from({ length: config.blocks }, (_, b) => of(b));
    return { pooled: of(null), blocks: summary(blocks), interval: medianInterval(blocks) };
  };
  const span = (name, b) => (b === null ? turns[name] : block(turns[name], b));
  for (const name of names) result.stepMs[name] = perStep(turns[name]);
  for (const name of names.filter((n) => variants[n] !== null)) {
    result.ratios[name] = ratio((b) => perStep(span(name, b)) / plainPerStep(plains.map((p) => span(p, b))));
    result.measured[name] = cadence(measurements(procs[name].logdir), turns[name], config.warmSteps);
  }
  // The control: each further plain process over the first.
  for (const name of plains.slice(1)) result.ratios[name] = ratio((b) => perStep(span(name, b)) / perStep(span(plains[0], b)));
  return result;
}
