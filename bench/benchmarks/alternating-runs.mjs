import { fork } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { shiftInterval, summary } from '../lib/stats.mjs';
import { williamsOrder } from '../lib/turn-order.mjs';

/**
 * Benchmark 7's target row as the steady state of a long run: several
 * processes per variant (plain training; the monitor with its worker), each
 * in one model.fit over all its turns, taking turns on the machine — one
 * process runs for `turnMs` (to the end of a step) while all others are
 * stopped (SIGSTOP, their measurement workers with them). Each cycle gives
 * every process one turn, in the orders of a Williams square
 * (turn-order.mjs): each process takes each place equally often, follows
 * each other once inside the cycles, and never itself. Per process, the
 * time per training step over all its turns; the figure is the shift
 * between the plain processes' and the monitored ones' (of their logs,
 * shiftInterval: the median of every monitored-over-plain ratio of two
 * processes, with an interval that holds under a shift: monitored
 * processes as plain ones, slowed by one factor). The control: half the
 * plain processes against the other half, by the same method.
 *
 * Why turns: whole runs one after the other (the grid's rows) compare
 * training over stretches of 10–15 s, and on this shared host such a stretch
 * of plain training against the next of plain training read 0.84–1.33
 * (thirty-fifth round of RESULTS.md). Turns of a second, side by side, see
 * the same host. Why several processes: one process's speed stays its own
 * over all its turns — identical plain processes read up to 10% apart over
 * 48 turns each (thirty-sixth round) — so one process per variant compares
 * two such speeds, which blocks of its turns cannot show; the interval over
 * processes holds them.
 *
 * The turns start after `warmSteps` steps, past the worker's start and first
 * measurement (checked: `workerStartStep`), so this is what a long run pays
 * per step, not what its start costs: the grid's whole runs have that.
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

/** Starts a process of `variant`: { variant, child, turns: [{ steps, ms, lastStep }], logdir, failure, messages }. */
function launch(config, variant, options) {
  const child = fork(CHILD, [JSON.stringify({ ...config, options })], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const proc = { variant, child, turns: [], logdir: null, failure: null, stderr: '', messages: 0, wake: null };
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

/** The processes of `variant` among `procs`, in launch order. */
const ofVariant = (procs, variant) => procs.filter((proc) => proc.variant === variant);

/** Geometric mean of a list of positive numbers. */
const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/**
 * The monitored processes' measurements over their timed turns, together:
 * how many, steps per measurement, the longest gap between measured steps,
 * where they ran, and the latest step of a worker's first measurement after
 * step 0 (null: a worker had none before the turns, whose first steps may
 * then carry its start).
 */
function cadence(procs, cycles, warmSteps) {
  let [count, steps, longestGap, startStep, started] = [0, 0, null, 0, true];
  const where = {};
  for (const proc of procs) {
    const ms = measurements(proc.logdir);
    // The timed turns only: the untimed run that lets the sinks flush reports a turn of its own.
    const turns = proc.turns.slice(0, cycles);
    const last = turns.at(-1).lastStep;
    const timed = ms.filter((m) => m.step >= warmSteps && m.step <= last);
    count += timed.length;
    steps += turns.reduce((s, t) => s + t.steps, 0);
    for (let i = 1; i < timed.length; i++) longestGap = Math.max(longestGap ?? 0, timed[i].step - timed[i - 1].step);
    for (const m of timed) where[m.measuredIn] = (where[m.measuredIn] ?? 0) + 1;
    const start = ms.find((m) => m.step > 0 && m.measuredIn === 'worker');
    if (start && start.step < warmSteps) startStep = Math.max(startStep, start.step);
    else started = false;
  }
  return { count, stepsPer: count ? steps / count : Infinity, longestGap, where, workerStartStep: started ? startStep : null };
}

/**
 * Runs the variants in turns. `config`: { cell, units, steps, batch, turnMs,
 * cycles, processes, warmSteps }: `processes` (at least 2) per variant of
 * the two, and the cycles a multiple of all processes (turn-order.mjs);
 * `variants`: { name: gradscope options, or null for plain training }, one
 * plain and one monitored.
 * Returns { stepMs: { variant: [ms per step of each process] }, ratio:
 * { pooled, estimate, low, high, coverage } (monitored over plain: pooled,
 * of the geometric means; the rest, shiftInterval's, as ratios), control:
 * the same of one half of the plain processes over the other, plainSpread
 * (the plain processes over their geometric mean: summary), measured:
 * cadence() }, or { unavailable } off Linux.
 */
export async function alternatingRuns(config, variants, log) {
  if (process.platform !== 'linux') return { unavailable: 'needs Linux, where /proc shows a process stopped' };
  const [plain, monitored] = [Object.keys(variants).find((v) => variants[v] === null), Object.keys(variants).find((v) => variants[v] !== null)];
  if (Object.keys(variants).length !== 2 || !plain || !monitored) throw new Error('bench 7 (alternating): needs one plain variant (null) and one monitored');
  if (!(Number.isInteger(config.processes) && config.processes >= 2)) throw new Error(`bench 7 (alternating): needs at least 2 processes per variant (got ${config.processes})`);
  // Launched in pairs whose order alternates (plain 1, worker 1, worker 2, plain 2, …): a trend over the launches
  // (where each process's memory lands, say) falls on both variants alike.
  const names = Array.from({ length: config.processes }, (_, i) => (i % 2 === 0 ? [plain, monitored] : [monitored, plain]).map((v) => [`${v} ${i + 1}`, v])).flat();
  if (config.cycles % names.length !== 0) throw new Error(`bench 7 (alternating): ${config.cycles} cycles are not a multiple of ${names.length} processes`);
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
      await takeTurns(config, names, procs, variants, monitored, log);
    } finally {
      killAll(Object.values(procs));
      await Promise.all(Object.values(procs).map((proc) => (proc.child.exitCode === null && proc.child.signalCode === null ? new Promise((resolve) => proc.child.once('exit', resolve)) : null)));
      process.off('exit', killOnExit);
      process.off('SIGINT', killOnSignal);
      process.off('SIGTERM', killOnSignal);
    }
    // Read once the children are gone: their events files are whole but for a last line cut by the kill.
    return summarise(config, plain, monitored, Object.values(procs));
  } finally {
    for (const proc of Object.values(procs)) rmSync(proc.logdir ?? '', { recursive: true, force: true });
  }
}

/** Starts the children into `procs` (each stopped after its warm-up), then runs the cycles; throws when a child fails. */
async function takeTurns(config, names, procs, variants, monitored, log) {
  // One after another: a warm-up beside another's would be slower for the first.
  for (const [name, variant] of names) {
    procs[name] = launch(config, variant, variants[variant]);
    await stopped(procs[name], 1, WARM_TIMEOUT_MS, name);
  }
  log(`  alternating turns: ${names.length} processes warm (${names.map(([name]) => name).join(', ')}); ${config.cycles} cycles of ${config.turnMs} ms turns`);
  const orders = williamsOrder(names.length);
  for (let c = 0; c < config.cycles; c++) {
    for (const i of orders[c % names.length]) {
      const [name] = names[i];
      process.kill(-procs[name].child.pid, 'SIGCONT');
      // A turn is turnMs and the rest of a step; ten turns' time is long past, whatever the host does.
      await stopped(procs[name], 2 + c, 10 * config.turnMs + 60_000, name);
    }
  }
  // Untimed: each monitored child takes one more, longer turn (alternating-child.mjs), in which its sink writes
  // the timed turns' events and the measurement its worker had in hand — two at a time, so each gets a core.
  const flushing = Object.entries(procs).filter(([, proc]) => proc.variant === monitored);
  for (let i = 0; i < flushing.length; i += 2) {
    const pair = flushing.slice(i, i + 2);
    for (const [, proc] of pair) process.kill(-proc.child.pid, 'SIGCONT');
    await Promise.all(pair.map(([name, proc]) => stopped(proc, 2 + config.cycles, 10 * config.turnMs + 60_000, name)));
  }
  for (const [name, proc] of Object.entries(procs)) {
    if (proc.turns.length < config.cycles) throw new Error(`bench 7 (alternating): ${name} reported ${proc.turns.length} of ${config.cycles} turns${proc.failure ? `; it ${proc.failure}` : ''}`);
  }
}

/** A step-time ratio of processes `ys` over `xs` (their ms per step): of the geometric means, and shiftInterval's estimate and interval. */
function stepRatio(xs, ys) {
  const shift = shiftInterval(xs.map(Math.log), ys.map(Math.log));
  const asRatio = (x) => (x === undefined ? undefined : Math.exp(x));
  return { pooled: geomean(ys) / geomean(xs), estimate: asRatio(shift.estimate), low: asRatio(shift.low), high: asRatio(shift.high), coverage: shift.coverage };
}

/** The figures of the turns (see alternatingRuns), the children's events read from their logdirs. */
function summarise(config, plain, monitored, procs) {
  const perProcess = (variant) => ofVariant(procs, variant).map((proc) => perStep(proc.turns.slice(0, config.cycles)));
  const stepMs = { [plain]: perProcess(plain), [monitored]: perProcess(monitored) };
  const plains = stepMs[plain];
  return {
    stepMs,
    ratio: stepRatio(plains, stepMs[monitored]),
    // The control: plain 1, 4, 5, 8, … over plain 2, 3, 6, 7, …: each half holds as many processes launched
    // first in their pair as second, so a trend over the launches falls on neither.
    control: stepRatio(plains.filter((_, i) => i % 4 === 0 || i % 4 === 3), plains.filter((_, i) => i % 4 === 1 || i % 4 === 2)),
    plainSpread: summary(plains.map((ms) => ms / geomean(plains))),
    measured: cadence(ofVariant(procs, monitored), config.cycles, config.warmSteps),
  };
}
