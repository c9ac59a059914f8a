import { fork } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { medianInterval, summary } from '../lib/stats.mjs';

/**
 * Benchmark 7's target row as the steady state of long runs: one process
 * per variant (plain training, the monitor with its worker, a second plain
 * process as the control), each in one model.fit that goes on for minutes,
 * taking turns on the machine — one process runs for `turnMs` while the
 * others are stopped (SIGSTOP, their measurement workers with them), in
 * cycles whose order alternates (P W C, C W P, …). Per variant, the time
 * per training step over all its turns, over plain training's.
 *
 * Why: whole runs one after the other (the grid's rows) compare training
 * over stretches of 10–15 s, and on this shared host such a stretch of plain
 * training against the next of plain training read 0.84–1.33 (thirty-fifth
 * round of RESULTS.md): nine rounds' median then has a 96% interval ±0.3
 * wide. Turns of a second, side by side, see the same host; the control's
 * ratio says how close they come. The runs start before the turns (the
 * worker's start and first measurement are past), so this is what a run of
 * minutes pays per step, not what its start costs: the grid's ratio has that.
 *
 * Linux only: the parent sees that a child has stopped itself in
 * /proc/<pid>/stat.
 */

const CHILD = new URL('./alternating-child.mjs', import.meta.url);
/** How long a child may take to train its warm-up steps (its worker's start among them on a busy host). */
const WARM_TIMEOUT_MS = 180_000;

/** Whether process `pid` is stopped ('T' in /proc/<pid>/stat); throws when it is gone. */
function isStopped(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
}

/** Starts one variant's process: { child, turns: [{ steps, ms }], logdir, failure }. */
function launch(config, options) {
  const child = fork(CHILD, [JSON.stringify({ ...config, options })], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const proc = { child, turns: [], logdir: null, failure: null, stderr: '' };
  child.stderr.on('data', (chunk) => (proc.stderr = (proc.stderr + chunk).slice(-2000)));
  child.on('message', (m) => {
    if (m.logdir) proc.logdir = m.logdir;
    else if (m.error) proc.failure = m.error;
    else proc.turns.push(m);
  });
  child.on('exit', (code, signal) => (proc.failure ??= `exited (${signal ?? code})${proc.stderr ? `: ${proc.stderr.trim().split('\n').at(-1)}` : ''}`));
  return proc;
}

/** Resolves when `proc` has stopped itself; rejects when it fails or takes longer than `timeoutMs`. */
async function stopped(proc, timeoutMs, what) {
  const t0 = performance.now();
  for (;;) {
    if (proc.failure) throw new Error(`bench 7 (alternating): the ${what} process ${proc.failure}`);
    if (isStopped(proc.child.pid)) return;
    if (performance.now() - t0 > timeoutMs) throw new Error(`bench 7 (alternating): the ${what} process did not stop within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The measurement events a child wrote in its logdir: [{ step, measuredIn }] (a killed run's last lines may be cut). */
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
 * Runs the variants in turns. `config`: { cell, units, steps, batch, turnMs,
 * cycles, blocks, warmSteps }; `variants`: { name: gradscope options, or
 * null for plain training }, the first of them plain (the reference).
 * Returns { stepMs: { name: ms }, ratios: { name: { pooled, blocks,
 * interval } }, measured: { name: { count, stepsPer, where } } } for every
 * variant but the reference, or { unavailable } off Linux.
 */
export async function alternatingRuns(config, variants, log) {
  if (process.platform !== 'linux') return { unavailable: 'needs Linux, where /proc shows a process stopped' };
  const names = Object.keys(variants);
  const procs = {};
  try {
    // One after another: a warm-up beside another's would be slower for the first.
    for (const name of names) {
      procs[name] = launch(config, variants[name]);
      await stopped(procs[name], WARM_TIMEOUT_MS, name);
    }
    log(`  alternating turns: ${names.join(', ')} warm; ${config.cycles} cycles of ${config.turnMs} ms turns`);
    for (let c = 0; c < config.cycles; c++) {
      for (const name of c % 2 === 0 ? names : [...names].reverse()) {
        process.kill(-procs[name].child.pid, 'SIGCONT');
        // A turn is turnMs and the rest of a step; ten turns' time is long past, whatever the host does.
        await stopped(procs[name], 10 * config.turnMs + 60_000, name);
      }
    }
    // A turn's report is sent as the child stops: let each run until every one has arrived.
    for (const name of names) {
      const proc = procs[name];
      if (proc.turns.length >= config.cycles) continue;
      process.kill(-proc.child.pid, 'SIGCONT');
      const t0 = performance.now();
      while (proc.turns.length < config.cycles && !proc.failure && performance.now() - t0 < 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
      if (proc.turns.length < config.cycles) throw new Error(`bench 7 (alternating): ${name} reported ${proc.turns.length} of ${config.cycles} turns`);
    }
  } finally {
    for (const proc of Object.values(procs)) {
      try {
        process.kill(-proc.child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await Promise.all(Object.values(procs).map((proc) => (proc.child.exitCode === null && proc.child.signalCode === null ? new Promise((resolve) => proc.child.once('exit', resolve)) : null)));
  }
  const turns = Object.fromEntries(names.map((name) => [name, procs[name].turns.slice(0, config.cycles)]));
  const reference = names[0];
  const size = Math.floor(config.cycles / config.blocks);
  const result = { stepMs: {}, ratios: {}, measured: {} };
  for (const name of names) {
    result.stepMs[name] = perStep(turns[name]);
    const ms = measurements(procs[name].logdir);
    rmSync(procs[name].logdir ?? '', { recursive: true, force: true });
    if (name === reference) continue;
    // Per block of consecutive cycles, the same ratio: how much it moves with the host.
    const blocks = Array.from({ length: config.blocks }, (_, b) => {
      const range = (list) => list.slice(b * size, (b + 1) * size);
      return perStep(range(turns[name])) / perStep(range(turns[reference]));
    });
    result.ratios[name] = { pooled: result.stepMs[name] / result.stepMs[reference], blocks: summary(blocks), interval: medianInterval(blocks) };
    if (variants[name]) {
      // The turns' steps come after the warm-up's; their measurements are those of later steps.
      const steps = turns[name].reduce((s, t) => s + t.steps, 0);
      const later = ms.filter((m) => m.step >= config.warmSteps);
      const where = Object.fromEntries([...new Set(later.map((m) => m.measuredIn))].map((w) => [w, later.filter((m) => m.measuredIn === w).length]));
      result.measured[name] = { count: later.length, stepsPer: later.length ? steps / later.length : Infinity, where };
    }
  }
  return result;
}
