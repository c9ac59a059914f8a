import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';
import { measurementWorkerSupport } from '../lib/measurement-worker.mjs';
import { buildModel, CELLS, disposeAll, makeData, makeProbe } from '../lib/models.mjs';
import { runOnOneCore } from '../lib/one-core.mjs';
import { formatRange, median, now, summary } from '../lib/stats.mjs';

/**
 * Benchmark 7 (issue 14): the monitor asked to measure at every step,
 * `gradscope({ every: 1 })` with its other defaults, with the measurement
 * worker and without it (`worker: false`: on the training thread), over
 * the same training without a monitor — on 2 cores, and again on one
 * (the benchmark's own process re-run under `taskset -c 0`).
 *
 * Unlike benchmark 1, the variants are whole runs, not steps: model.fit
 * over the same batches, one run per variant, in alternating order
 * (P T W, W T P, …), so that whatever a worker does on the other core during
 * a run lies inside that run's wall time, and a slow phase of the shared
 * machine falls on every variant. The three models start from the same
 * weights (seeded) and train on the same data.
 *
 * Per run: wall time over the plain run of the same round; the training
 * steps the monitor's measurement events belong to (the achieved interval
 * is the difference of consecutive ones); where they were measured
 * (`measuredIn`, when the build reports it).
 *
 * Options: every 1, logdir in a temporary folder (the default sink in Node;
 * its events.jsonl is where the benchmark reads the measurement events —
 * with logdir false a run would have no sink to count them from),
 * console false, serve false (benchmark 6 is the server's). The rest are
 * gradscope's defaults (budget 0.05, gradient norms on).
 */
export const FULL = {
  cells: CELLS, units: [64, 128, 256], steps: [50, 200], batch: 32,
  // Steps per run from a timed calibration step: about runMs of plain
  // training, within [minSteps, maxSteps]; rows whose step exceeds slowMs get
  // one round. The largest row (LSTM n=256, T=200) has 8–13 s steps: at
  // 2 steps × 3 variants and its calibration step it alone is 60–90 s per
  // table, about a quarter of the benchmark.
  runMs: 800, minSteps: 2, maxSteps: 60, rounds: 2, slowMs: 300,
  // The row of issue 14's "done when", given longer runs and one more round.
  focus: { cell: 'simpleRNN', units: 64, steps: 50, runMs: 3000, rounds: 3, maxSteps: 150 },
};
// One round: a worker's start-up (seconds on a busy machine) is paid per monitored run.
export const SMOKE = {
  cells: ['simpleRNN'], units: [4], steps: [5], batch: 4,
  runMs: 30, minSteps: 3, maxSteps: 4, rounds: 1, slowMs: Infinity, warmUp: false,
  focus: { cell: 'simpleRNN', units: 4, steps: 5, runMs: 30, rounds: 1, maxSteps: 6 },
};

const EVERY = 1;
const DONE_WHEN = { ratio: 1.1, interval: 2 };

/** The measurement events of the one run in `logdir` (then removed): [{ step, measuredIn }]. */
function takeRun(logdir) {
  const runs = readdirSync(logdir);
  if (runs.length !== 1) throw new Error(`bench 7: expected one run in ${logdir}, found ${runs.length}`);
  const dir = path.join(logdir, runs[0]);
  const events = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  rmSync(dir, { recursive: true, force: true });
  const end = events.find((e) => e.type === 'run-end');
  if (!end || end.status !== 'completed') throw new Error(`bench 7: the monitored run did not complete (${end ? end.status : 'no run-end event'})`);
  return events.filter((e) => e.type === 'measurement').map((e) => ({ step: e.step, measuredIn: e.measuredIn ?? null }));
}

/**
 * One whole run of `model.fit` over `data`; monitored with `options` when
 * given. Returns its wall ms, the ms of its second half (from the end of the
 * middle step to the end of fit: past the run's start and its first
 * measurements), and, monitored, its measurement events. The step clock is a
 * callback after the monitor's, in the plain runs too.
 */
async function oneRun(model, data, batch, probe, logdir, options) {
  const monitor = options ? gradscope({ probe, every: EVERY, logdir, console: false, serve: false, ...options }) : null;
  const stepEnds = [];
  const clock = new tf.CustomCallback({ onBatchEnd: async () => void stepEnds.push(now()) });
  const t0 = now();
  await model.fit(data.xs, data.ys, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0, callbacks: monitor ? [monitor, clock] : [clock] });
  const fitEnd = now();
  // close() flushes the run's sinks and ends what the run started: part of what the user waits for.
  if (monitor) await monitor.close();
  const ms = now() - t0;
  const middle = stepEnds[Math.floor(stepEnds.length / 2) - 1] ?? t0;
  return { ms, secondHalfMs: fitEnd - middle, measurements: monitor ? takeRun(logdir) : null };
}

/** The model and its optimizer: model.dispose() leaves an optimizer passed to compile() (Adam's slots, 12 tensors here) alive. */
function disposeModel(model) {
  model.optimizer?.dispose();
  model.dispose();
}

/** Consecutive differences of the measured steps. */
const intervals = (ms) => ms.slice(1).map((m, i) => m.step - ms[i].step);

/**
 * Steps per run and rounds for a configuration, from timed steps of the
 * plain model: `firstMs`, its first step, which carries one-time set-up and
 * stands for a step only when steps are slow anyway (> slowMs: one step less
 * of the largest models); otherwise the faster of two more (one step can fall
 * on a busy moment of the shared machine).
 */
async function plan(model, warm, o, focus, firstMs) {
  const timedStep = async () => {
    const t0 = now();
    await model.trainOnBatch(warm.xs, warm.ys);
    return now() - t0;
  };
  const stepMs = firstMs > o.slowMs ? firstMs : Math.min(await timedStep(), await timedStep());
  const runMs = focus ? o.focus.runMs : o.runMs;
  const maxSteps = focus ? o.focus.maxSteps : o.maxSteps;
  return {
    stepMs,
    n: Math.max(o.minSteps, Math.min(maxSteps, Math.round(runMs / stepMs))),
    rounds: focus ? o.focus.rounds : stepMs > o.slowMs ? 1 : o.rounds,
  };
}

/** One row of the grid; `given`: the steps per run and rounds to use (the pinned child takes its parent's, so both tables train alike). */
async function oneConfig(cell, units, steps, o, variants, logdir, given) {
  const focus = o.focus.cell === cell && o.focus.units === units && o.focus.steps === steps;
  const names = ['plain', ...Object.keys(variants)];
  const models = Object.fromEntries(names.map((name) => [name, buildModel(cell, units, steps)]));
  const warm = makeData(o.batch, steps, 2);
  let data = null;
  let probe = null;
  try {
    // A model's first step pays one-time set-up (4× a later one on small
    // models): every model takes it here, unless steps are so slow
    // (> slowMs) that the set-up hardly shows in a run.
    const t0 = now();
    await models.plain.trainOnBatch(warm.xs, warm.ys);
    const firstMs = now() - t0;
    const { n, rounds, stepMs } = given ?? (await plan(models.plain, warm, o, focus, firstMs));
    if (stepMs <= o.slowMs) for (const name of names.slice(1)) await models[name].trainOnBatch(warm.xs, warm.ys);
    data = makeData(n * o.batch, steps, 100);
    probe = makeProbe(data);
    const runs = Object.fromEntries(names.map((name) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        runs[name].push(await oneRun(models[name], data, o.batch, probe, logdir, variants[name] ?? null));
      }
    }
    const row = { cell, units, steps, focus, n, rounds, stepMs, plainMs: median(runs.plain.map((x) => x.ms)), variants: {} };
    for (const name of Object.keys(variants)) {
      const own = runs[name];
      const where = own.flatMap((x) => x.measurements.map((m) => m.measuredIn ?? 'unreported'));
      row.variants[name] = {
        ratio: summary(own.map((x, i) => x.ms / runs.plain[i].ms)),
        secondHalf: summary(own.map((x, i) => x.secondHalfMs / runs.plain[i].secondHalfMs)),
        interval: median(own.flatMap((x) => intervals(x.measurements))),
        perRun: median(own.map((x) => x.measurements.length)),
        where: Object.fromEntries([...new Set(where)].map((w) => [w, where.filter((x) => x === w).length])),
      };
    }
    return row;
  } finally {
    disposeAll(warm, probe, data);
    for (const model of Object.values(models)) disposeModel(model);
  }
}

/**
 * Untimed: a few steps of a tiny model, plain and through each variant, so
 * that the process's one-time costs (V8 compiling tfjs's and gradscope's
 * code, the first measurement's set-up) fall on no row; the first
 * configuration's calibration step was 2–5× a later step without it.
 */
async function warmUp(o, variants, logdir) {
  const data = makeData(6 * o.batch, 5, 3);
  const probe = makeProbe(data);
  try {
    for (const options of [null, ...Object.values(variants)]) {
      const model = buildModel('simpleRNN', 4, 5);
      try {
        await oneRun(model, data, o.batch, probe, logdir, options);
      } finally {
        disposeModel(model);
      }
    }
  } finally {
    disposeAll(data, probe);
  }
}

const PLAN_ENV = 'GRADSCOPE_BENCH7_PLAN';
const planKey = (cell, units, steps) => `${cell}/${units}/${steps}`;

/** The grid on this process's cores: { cores, worker: { supported, reason }, rows }. */
async function measureGrid(o, log, plans = null) {
  const worker = await measurementWorkerSupport();
  // Without the option, a build measures on the training thread: the thread rows then run with today's defaults.
  const variants = worker.supported ? { thread: { worker: false }, worker: { worker: true } } : { thread: {} };
  const cores = os.availableParallelism();
  const logdir = mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-every-step-'));
  const rows = [];
  let tensorsBefore = NaN;
  try {
    if (o.warmUp !== false) await warmUp(o, variants, logdir);
    tensorsBefore = tf.memory().numTensors;
    for (const cell of o.cells) {
      for (const units of o.units) {
        for (const steps of o.steps) {
          const row = await oneConfig(cell, units, steps, o, variants, logdir, plans?.[planKey(cell, units, steps)]);
          rows.push(row);
          // Every model, batch and probe of the row is disposed by now: what is left was leaked.
          row.tensorsAfter = tf.memory().numTensors;
          const parts = Object.entries(row.variants).map(([name, v]) => `${name} ×${v.ratio.median.toFixed(3)} (second half ×${v.secondHalf.median.toFixed(3)}), ${v.perRun} measurements, interval ${Number.isFinite(v.interval) ? v.interval : '—'}`);
          log(`  ${cores} core${cores > 1 ? 's' : ''}, ${cell} n=${units} T=${steps}: ${row.n} steps × ${row.rounds} rounds, plain run ${row.plainMs.toFixed(0)} ms; ${parts.join('; ')}${worker.supported ? '' : `; worker n/a (${worker.reason})`}`);
        }
      }
    }
  } finally {
    rmSync(logdir, { recursive: true, force: true });
  }
  return { cores, worker, rows, tensorsBefore };
}

const fmtInterval = (x) => (Number.isFinite(x) ? String(Number(x.toFixed(1))) : '—');

function whereText(where) {
  const parts = Object.entries(where).map(([w, count]) => `${count} ${w}`);
  return parts.length ? parts.join(', ') : '—';
}

function cells(v, reason, n) {
  if (!v) return [`n/a (${reason})`, '', '', '', ''];
  return [formatRange(v.ratio, 3), formatRange(v.secondHalf, 3), fmtInterval(v.interval), `${v.perRun} (1 per ${fmtInterval(n / v.perRun)} steps)`, whereText(v.where)];
}

function table(grid) {
  const reason = grid.worker.reason;
  return [
    '| cell | n | T | steps × rounds | plain run (ms) | ratio, worker | second half, worker | interval, worker | per run, worker | measured in, worker | ratio, thread | second half, thread | interval, thread | per run, thread | measured in, thread |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...grid.rows.map((r) => `| ${r.cell}${r.focus ? ' ¹' : ''} | ${r.units} | ${r.steps} | ${r.n} × ${r.rounds} | ${r.plainMs.toFixed(0)} | ${cells(r.variants.worker, reason, r.n).join(' | ')} | ${cells(r.variants.thread, reason, r.n).join(' | ')} |`),
  ].join('\n');
}

function tensorLine(g) {
  const after = g.rows.map((r) => r.tensorsAfter);
  return after.every((x) => x === g.tensorsBefore) ? `${g.tensorsBefore}, unchanged` : `**${g.tensorsBefore} → ${after.join(' → ')}**`;
}

/** The done-when row's verdict in `grid`: gradscope({ every: 1 }) as a user gets it (the worker when the build has one). */
function verdict(grid) {
  const row = grid.rows.find((r) => r.focus);
  if (!row) return null;
  const name = grid.worker.supported ? 'worker' : 'thread';
  const v = row.variants[name];
  // "A full measurement at least every 2 steps" over the whole run, not only between the measurements
  // there were: the median interval is 1 for a run measured at steps 0 and 1 and never again. So the run
  // must also have (nearly) one measurement per 2 steps — one short of steps 0, 2, 4, … allows for a
  // measurement still in flight when the run ends.
  const enough = Math.ceil(row.n / DONE_WHEN.interval) - 1;
  const holds = v.ratio.median <= DONE_WHEN.ratio && Number.isFinite(v.interval) && v.interval <= DONE_WHEN.interval && v.perRun >= enough;
  const what = grid.worker.supported ? 'with the worker' : `on the training thread: ${grid.worker.reason}`;
  return { row, holds, text: `${holds ? 'holds' : 'missed'}: ${row.cell} n=${row.units} T=${row.steps}, ratio ${v.ratio.median.toFixed(3)}, interval ${fmtInterval(v.interval)}, ${v.perRun} measurements in ${row.n} steps (needs ≥ ${enough}) (${what})` };
}

export async function everyStepBenchmark(o, log, ctx = {}) {
  // The pinned child trains each row for as many steps and rounds as its parent did.
  const given = ctx.oneCore && process.env[PLAN_ENV] ? JSON.parse(process.env[PLAN_ENV]) : null;
  const grid = await measureGrid(o, log, given);
  // In the pinned child, hand the numbers to the parent (run.mjs --raw).
  if (ctx.oneCore) return { raw: grid, title: '7 (one core)', markdown: '', summaryRows: [] };
  const plans = Object.fromEntries(grid.rows.map((r) => [planKey(r.cell, r.units, r.steps), { n: r.n, rounds: r.rounds, stepMs: r.stepMs }]));
  const pinned = await runOnOneCore('7', { smoke: ctx.smoke, env: { [PLAN_ENV]: JSON.stringify(plans) } }, log);
  const pinnedGrid = pinned?.unavailable ? null : pinned.raw;
  const v2 = verdict(grid);
  const v1 = pinnedGrid ? verdict(pinnedGrid) : null;
  const workerNote = grid.worker.supported ? '' : ` The worker rows are n/a: ${grid.worker.reason} (gradscope() rejects its \`worker\` option); the thread rows then run without the option, which is this build's only behaviour.`;
  const markdown = [
    `Whole training runs (model.fit, batch ${o.batch}, one epoch over the same batches) of three identical models — plain, monitored by \`gradscope({ every: ${EVERY} })\` with the measurement worker, monitored with \`worker: false\` — in alternating order, round after round, on the wasm backend. ` +
      `Other options at their defaults except logdir (a temporary folder, from whose events.jsonl the measurement events are read), console false and serve false. ` +
      `Steps per run: about ${(o.runMs / 1000).toFixed(1)} s of plain training from a timed calibration step (${o.minSteps}–${o.maxSteps} steps), ${o.rounds} rounds${Number.isFinite(o.slowMs) ? `, 1 round when a step exceeds ${o.slowMs} ms` : ''}; ¹ the row of issue 14's target gets about ${(o.focus.runMs / 1000).toFixed(0)} s and ${o.focus.rounds} rounds.${workerNote}`,
    '',
    '- **ratio**: monitored run wall time over the plain run of the same round (includes the monitor\'s start and close, and the first measurement, which always runs at step 0); median (min–max) over the rounds.',
    '- **second half**: the same ratio over the second half of the runs only (from the end of the middle step to the end of fit), past the run\'s start and the first measurements: closer to what a long run pays per step.',
    '- **interval**: training steps between consecutive measurement events of a run (the step each measurement belongs to), median over all runs; — when no run had a second measurement. `every: 1` asks for 1.',
    '- **per run**: measurement events per run, median, and the run\'s steps per measurement. Where a run has few measurements this is the figure to read: the cadence takes its second measurement right after the first (the first is not charged to the budget and leaves no cost estimate), so a short run on the training thread has the interval 1 and then none.',
    '- **measured in**: where the run\'s measurements ran, from the events\' `measuredIn` (unreported: the build does not say).',
    `- What holds by construction: with \`worker: false\` the cadence keeps the monitor's time on the training thread within the budget (5% of training time; the first measurement is not charged), so that ratio tends to ~1.05 on any run long enough to amortise the first measurement, whatever a measurement costs — there the interval is the real figure. With the worker, the training thread pays for the weight snapshot and the events; the ratio is the real figure, and the interval says how fast the worker keeps up.`,
    `- Short runs (a few steps of a large model) are dominated by the first measurement and the run's start: their ratios are not the long-run cost.`,
    '',
    `**${grid.cores} cores** (this process):`,
    '',
    table(grid),
    '',
    '**One core** (the same benchmark re-run in a child process under `taskset -c 0`: the training thread and any worker share one core, so a worker cannot help; the figure to watch is that the ratio stays near the budget\'s, i.e. the training thread\'s budget still holds):',
    '',
    pinnedGrid ? table(pinnedGrid) : `n/a (${pinned.unavailable})`,
    '',
    `Tensors (tf.memory().numTensors on this thread) after each row, every model and batch disposed: ${tensorLine(grid)} on ${grid.cores} cores; ${pinnedGrid ? tensorLine(pinnedGrid) : 'n/a'} on one core.`,
    '',
    `Issue 14's target — on 2 cores, SimpleRNN n=64 T=50 with \`gradscope({ every: 1 })\` at ≤ ${DONE_WHEN.ratio.toFixed(2)}× the unmonitored wall time and a full measurement at least every ${DONE_WHEN.interval} steps (read here as: ratio ≤ ${DONE_WHEN.ratio.toFixed(2)}, median interval ≤ ${DONE_WHEN.interval}, and at most one measurement fewer per run than one every ${DONE_WHEN.interval} steps): ${v2 ? `**${v2.text}**` : 'not in this run'}${grid.cores !== 2 ? ` (this machine has ${grid.cores} cores)` : ''}.`,
  ].join('\n');
  const gridSummary = (g) => {
    const has = g.worker.supported ? 'worker' : 'thread';
    const ratios = summary(g.rows.map((r) => r.variants[has].ratio.median));
    const halves = summary(g.rows.map((r) => r.variants[has].secondHalf.median));
    const ivals = g.rows.map((r) => r.variants[has].interval).filter(Number.isFinite);
    return `${has === 'worker' ? 'worker' : `thread (worker n/a: ${g.worker.reason})`}: ratio ${formatRange(ratios, 3)}, second half ${formatRange(halves, 3)} over ${g.rows.length} configurations, interval ${ivals.length ? formatRange(summary(ivals), 1) : '—'}`;
  };
  const summaryRows = [
    ['7', `\`every: 1\` monitored / plain training, whole runs, ${grid.cores} cores`, `${v2 ? `${v2.text}; ` : ''}${gridSummary(grid)}`, `≤ ${DONE_WHEN.ratio.toFixed(2)}, interval ≤ ${DONE_WHEN.interval}`],
    ['7', '`every: 1` monitored / plain training, whole runs, one core (taskset -c 0)', pinnedGrid ? `${v1 ? `${v1.text.replace(/ \([^()]*\)$/, '')}; ` : ''}${gridSummary(pinnedGrid)}` : `n/a (${pinned.unavailable})`, 'second half near the budget\'s 1.05'],
  ];
  return { title: '7. Every step: the monitor at `every: 1`, with and without the measurement worker', markdown, summaryRows, raw: { grid, pinned: pinnedGrid } };
}
