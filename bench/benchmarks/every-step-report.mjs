import { formatRange, medianInterval, summary } from '../lib/stats.mjs';

/**
 * The markdown of benchmark 7 (every-step.mjs): the 2-core and one-core
 * tables, what each figure means, and the verdict on issue 14's target.
 */

/** Issue 14's "done when", for SimpleRNN n=64 T=50 on 2 cores. */
const DONE_WHEN = { ratio: 1.1, interval: 2 };

/**
 * The target row's extra variant: the worker with budget 0.1, each of the
 * budget's accounts (the monitor's time on the training thread, and the
 * thread's wait for a core while the worker measures) doubled: what more
 * measurements cost on 2 cores, beside what the default buys.
 */
export const FOCUS_EXTRA = { name: 'workerBudget10', options: { worker: true, budget: 0.1 } };

/**
 * The target row's control: a second plain model, trained in the same
 * rounds as the others. Its ratio to the first plain run is the host's
 * noise alone, the yardstick for the monitored ratios beside it.
 */
export const FOCUS_CONTROL = 'plainAgain';

const fmtInterval = (x) => (Number.isFinite(x) ? String(Number(x.toFixed(1))) : '—');

function whereText(where) {
  const parts = Object.entries(where).map(([w, count]) => `${count} ${w}`);
  return parts.length ? parts.join(', ') : '—';
}

function cells(v, reason, n) {
  if (!v) return [`n/a (${reason})`, '', '', '', ''];
  return [formatRange(v.ratio, 3), formatRange(v.secondHalf, 3), fmtInterval(v.interval), `${v.perRun} (1 per ${fmtInterval(n / v.perRun)} steps)`, whereText(v.where)];
}

function afterText(v) {
  if (!v) return '';
  return v.afterStart ? `step ${fmtInterval(v.afterStart.startStep)}, then 1 per ${v.afterStart.stepsPer.toFixed(2)} steps` : '—';
}

function table(grid) {
  const reason = grid.worker.reason;
  return [
    '| cell | n | T | steps × rounds | plain run (ms) | ratio, worker | second half, worker | interval, worker | per run, worker | measured in, worker | after start, worker | ratio, thread | second half, thread | interval, thread | per run, thread | measured in, thread |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...grid.rows.map((r) => `| ${r.cell}${r.focus ? ' ¹' : ''} | ${r.units} | ${r.steps} | ${r.n} × ${r.rounds} | ${r.plainMs.toFixed(0)} | ${cells(r.variants.worker, reason, r.n).join(' | ')} | ${afterText(r.variants.worker)} | ${cells(r.variants.thread, reason, r.n).join(' | ')} |`),
  ].join('\n');
}

function tensorLine(g) {
  const after = g.rows.map((r) => r.tensorsAfter);
  return after.every((x) => x === g.tensorsBefore) ? `${g.tensorsBefore}, unchanged` : `**${g.tensorsBefore} → ${after.join(' → ')}**`;
}

/** A variant's training-thread figures (CPU ratio, wait share) as a clause; '' off Linux. */
const threadText = (v) => (v.thread ? `; training thread: CPU ×${formatRange(v.thread.cpu, 3)}, run-queue wait +${formatRange(v.thread.wait, 3)} of the plain run` : '');

/** The target row's run with FOCUS_EXTRA (the worker at budget 0.1), as a sentence; '' when it did not run. */
function extraText(grid) {
  const row = grid.rows.find((r) => r.focus);
  const v = row?.variants[FOCUS_EXTRA.name];
  if (!v) return '';
  const thread = threadText(v);
  return `The same row with \`budget: 0.1\` (each of its two accounts, the monitor's time and the worker's wait, held to twice the default): ratio ${formatRange(v.ratio, 3)}, second half ${formatRange(v.secondHalf, 3)}, interval ${fmtInterval(v.interval)}, ${v.perRun} measurements per run (1 per ${fmtInterval(row.n / v.perRun)} steps)${v.afterStart ? `, 1 per ${v.afterStart.stepsPer.toFixed(2)} steps after the worker's start` : ''}${thread}.`;
}

/**
 * The ratio's interval of the median (medianInterval, at least 95%) and the control's
 * median and range, as a parenthesis; '' for a build measured before either
 * existed.
 */
function spreadText(v, row) {
  const parts = [];
  const ci = v.ratios ? medianInterval(v.ratios) : null;
  if (ci) parts.push(`${(ci.coverage * 100).toFixed(0)}% interval of the median ${ci.low.toFixed(3)}–${ci.high.toFixed(3)} over ${v.ratios.length} rounds`);
  if (row.control) parts.push(`plain against plain ${formatRange(row.control.ratio, 3)}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/**
 * The long runs taking turns (alternating-runs.mjs): the outcome and what
 * they read; null where they did not run. The outcome, from the interval of
 * the monitored processes' step time over the plain ones' (shiftInterval,
 * over processes: it holds their own speeds' spread):
 * - 'holds': its top at most the target's ratio, and a measurement per at
 *   most 2 steps over the turns;
 * - 'missed': its bottom above the ratio, or measurements sparser;
 * - 'undecided': the interval straddles the ratio, or the processes are too
 *   few for an interval, or (where it would hold) the control — half the
 *   plain processes against the other half — leaves out 1: the processes
 *   did not see the same host.
 * Why not the point estimate: the cadence aims at about twice the budget
 * (1.10), so a figure near it is within the host's noise of either side.
 */
function steadyState(grid) {
  const alt = grid.alternating;
  if (!alt || alt.unavailable) return null;
  const { ratio: r, control: c, measured: m, config } = alt;
  const decided = r.coverage !== undefined;
  const sparse = !(m.stepsPer <= DONE_WHEN.interval);
  const controlOff = c.coverage !== undefined && (c.low > 1 || c.high < 1);
  let outcome = 'undecided';
  if (sparse || (decided && r.low > DONE_WHEN.ratio)) outcome = 'missed';
  else if (decided && r.high <= DONE_WHEN.ratio && !controlOff) outcome = 'holds';
  const band = (x) => (x.coverage !== undefined ? `${(x.coverage * 100).toFixed(1)}% interval ${x.low.toFixed(3)}–${x.high.toFixed(3)}` : 'too few processes for a 95% interval');
  const cadence = Number.isFinite(m.stepsPer) ? `a measurement per ${m.stepsPer.toFixed(2)} steps, the longest gap ${m.longestGap ?? '—'} (${whereText(m.where)})` : 'no measurement after the warm-up';
  const start = m.workerStartStep === null ? `; a worker had not measured by step ${config.warmSteps}, so the first turns may hold its start` : `, the workers' first by step ${m.workerStartStep}`;
  const n = config.processes;
  return {
    outcome,
    text: `long runs taking turns (${n} processes of plain training and ${n} monitored, each ${config.cycles} turns of ${config.turnMs / 1000} s from step ${config.warmSteps}${start}): step time ×${r.estimate.toFixed(3)} of plain training's (the median of the ${n * n} ratios of a monitored process to a plain one, ${band(r)}; of the geometric means ×${r.pooled.toFixed(3)}), half the plain processes against the other half ×${c.estimate.toFixed(3)} (${band(c)})${controlOff ? ' — the control leaves out 1' : ''}, the plain processes at ${formatRange(alt.plainSpread, 3)} of their geometric mean, ${cadence}`,
  };
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
  const wholeHolds = v.ratio.median <= DONE_WHEN.ratio && Number.isFinite(v.interval) && v.interval <= DONE_WHEN.interval && v.perRun >= enough;
  // Where the long runs taking turns ran, they decide: the whole runs' median moves with the host by more than the margin.
  const steady = steadyState(grid);
  const outcome = steady ? steady.outcome : wholeHolds ? 'holds' : 'missed';
  const holds = outcome === 'holds';
  const what = grid.worker.supported ? 'with the worker' : `on the training thread: ${grid.worker.reason}`;
  const after = v.afterStart ? `; from the worker's first measurement after step 0 (step ${fmtInterval(v.afterStart.startStep)}, median) to the end: 1 per ${v.afterStart.stepsPer.toFixed(2)} steps` : '';
  const thread = threadText(v);
  return { row, holds, text: `${outcome}: ${row.cell} n=${row.units} T=${row.steps}${steady ? `, ${steady.text}; whole runs of ${(row.n * row.stepMs / 1000).toFixed(0)} s, the worker's start included:` : ','} ratio ${v.ratio.median.toFixed(3)}${spreadText(v, row)}, interval ${fmtInterval(v.interval)}, ${v.perRun} measurements in ${row.n} steps (needs ≥ ${enough})${after}${thread} (${what})` };
}

/**
 * Title, markdown and summary rows of benchmark 7 from the grid measured in
 * this process and the one measured on one core (null, with the reason in
 * `pinnedUnavailable`, when it could not run).
 */
export function everyStepReport(o, every, grid, pinnedGrid, pinnedUnavailable) {
  const v2 = verdict(grid);
  const v1 = pinnedGrid ? verdict(pinnedGrid) : null;
  const workerNote = grid.worker.supported ? '' : ` The worker rows are n/a: ${grid.worker.reason} (gradscope() rejects its \`worker\` option); the thread rows then run without the option, which is this build's only behaviour.`;
  const markdown = [
    `Whole training runs (model.fit, batch ${o.batch}, one epoch over the same batches) of identical models — plain, monitored by \`gradscope({ every: ${every} })\` with the measurement worker, monitored with \`worker: false\`, and for the target row a second plain model and the worker at \`budget: 0.1\` — in alternating order, round after round, on the wasm backend. ` +
      `Other options at their defaults except logdir (a temporary folder, from whose events.jsonl the measurement events are read), console false and serve false. ` +
      `Steps per run: about ${(o.runMs / 1000).toFixed(1)} s of plain training from a timed calibration step (${o.minSteps}–${o.maxSteps} steps), ${o.rounds} rounds${Number.isFinite(o.slowMs) ? `, 1 round when a step exceeds ${o.slowMs} ms` : ''}; ¹ the row of issue 14's target gets about ${(o.focus.runMs / 1000).toFixed(0)} s and ${o.focus.rounds} rounds.${workerNote}`,
    '',
    '- **ratio**: monitored run wall time over the plain run of the same round (includes the monitor\'s start and close, and the first measurement, which always runs at step 0); median (min–max) over the rounds.',
    '- **second half**: the same ratio over the second half of the runs only (from the end of the middle step to the end of fit), past the run\'s start and the first measurements: closer to what a long run pays per step.',
    '- **interval**: training steps between consecutive measurement events of a run (the step each measurement belongs to), median over all runs; — when no run had a second measurement. `every: 1` asks for 1.',
    '- **per run**: measurement events per run, median, and the run\'s steps per measurement. Where a run has few measurements this is the figure to read: the cadence takes its second measurement right after the first (the first is not charged to the budget and leaves no cost estimate), so a short run on the training thread has the interval 1 and then none.',
    '- **after start, worker**: the step of the first snapshot the worker measured after step 0\'s (how many steps the worker\'s start took: starting its process, loading tfjs and wasm there, rebuilding the model, the cold first measurement), and the steps per measurement from there to the run\'s end; medians over the rounds.',
    `- **long runs taking turns** (the target row only, in the verdict): ${o.alternating.processes} processes of plain training and ${o.alternating.processes} of \`gradscope({ every: 1 })\` with its worker, each in one model.fit over all its turns, taking turns on the machine: one runs for about ${o.alternating.turnMs / 1000} s (to the end of a step) while all others are stopped with their workers, in ${o.alternating.cycles} cycles ordered by a Williams square (each process takes each place equally often and, inside the cycles, follows each other once; none follows itself), from step ${o.alternating.warmSteps} (past the worker's start, which the verdict checks). Per process, its time per training step over all its turns; the figure is the median of every monitored process's over every plain one's, with an interval over processes (at least 95% where the monitored processes are plain ones slowed by one factor, whatever the spread's shape: Hodges–Lehmann's, from the Mann–Whitney statistic), because one process's own speed stays a few percent off another's over all its turns; the control is half the plain processes against the other half, by the same method. This is what a long run pays per step; its start is what the whole runs add. It decides the verdict where it ran (Linux, a worker supported), because the whole runs' median moves with the host by more than the target's margin.`,
    `- **plain against plain** (the target row only): a second plain model, trained in the same rounds, over the first: the ratio the host's noise alone makes. The verdict gives the target's ratio with the interval of its median over the rounds (at least 95%, from order statistics: no assumption on the noise's shape) beside it.`,
    '- **measured in**: where the run\'s measurements ran, from the events\' `measuredIn` (unreported: the build does not say).',
    '- **training thread** (the target row\'s verdict, on Linux): the thread\'s CPU time over the plain run\'s, and the run-queue wait it gained (runnable, waiting for a core) as a share of the plain run\'s wall time, per round from the kernel\'s /proc/thread-self/schedstat; medians (min–max). The two add up to about the ratio. CPU above 1 is work the monitor added on the thread, or a slow phase of the host (this virtual machine accounts no steal time, so the host taking the CPU away counts as CPU time); wait is time other threads held both cores.',
    `- What holds by construction: with \`worker: false\` the cadence keeps the monitor's time on the training thread within the budget (5% of training time; the first measurement is not charged), so that ratio tends to ~1.05 on any run long enough to amortise the first measurement, whatever a measurement costs — there the interval is the real figure. With the worker, the training thread pays for the weight snapshot and the events, which the cadence keeps within the budget, and, on Linux, its wait for a core while the worker measures (charged up to the worker's own CPU time per measurement; the worker's start and first measurement are not charged), which the cadence keeps within the budget on an account of its own: the ratio tends to at most ~1.10 (twice the budget) plus the worker's start on a run long enough, and the interval says how many measurements the budget buys beside training — the real figure, with the ratio a check that the charges cover the worker's cost.`,
    `- Short runs (a few steps of a large model) are dominated by the first measurement and the run's start: their ratios are not the long-run cost. A run that ends before its worker has started (about 1 s) measures its first step on the training thread (measured in: thread) rather than wait for the worker.`,
    '',
    `**${grid.cores} cores** (this process):`,
    '',
    table(grid),
    '',
    '**One core** (the same benchmark re-run in a child process under `taskset -c 0`: the training thread and any worker share one core, so a worker cannot help; the figure to watch is that the ratio stays near the budget\'s, i.e. the training thread\'s budget still holds):',
    '',
    pinnedGrid ? table(pinnedGrid) : `n/a (${pinnedUnavailable})`,
    '',
    ...(extraText(grid) ? [extraText(grid), ''] : []),
    `Tensors (tf.memory().numTensors on this thread) after each row, every model and batch disposed: ${tensorLine(grid)} on ${grid.cores} cores; ${pinnedGrid ? tensorLine(pinnedGrid) : 'n/a'} on one core.`,
    '',
    `Issue 14's target — on 2 cores, SimpleRNN n=64 T=50 with \`gradscope({ every: 1 })\` at ≤ ${DONE_WHEN.ratio.toFixed(2)}× the unmonitored wall time and a full measurement at least every ${DONE_WHEN.interval} steps (read here, where the long runs taking turns ran, as: the interval of their monitored-over-plain step-time ratio at most ${DONE_WHEN.ratio.toFixed(2)}, with a measurement per at most ${DONE_WHEN.interval} steps over the turns — holds; its bottom above ${DONE_WHEN.ratio.toFixed(2)} or sparser measurements — missed; otherwise undecided; the worker's start, a one-time cost, is in the whole runs that follow; elsewhere, from the whole runs: ratio ≤ ${DONE_WHEN.ratio.toFixed(2)}, median interval ≤ ${DONE_WHEN.interval}, and at most one measurement fewer per run than one every ${DONE_WHEN.interval} steps): ${v2 ? `**${v2.text}**` : 'not in this run'}${grid.cores !== 2 ? ` (this machine has ${grid.cores} cores)` : ''}.`,
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
    ['7', '`every: 1` monitored / plain training, whole runs, one core (taskset -c 0)', pinnedGrid ? `${v1 ? `${v1.text.replace(/ \([^()]*\)$/, '').replace(/^(holds|missed|undecided): /, 'the target row (whose verdict is the 2-core one): ')}; ` : ''}${gridSummary(pinnedGrid)}` : `n/a (${pinnedUnavailable})`, 'second half near the budget\'s 1.05'],
  ];
  return { title: '7. Every step: the monitor at `every: 1`, with and without the measurement worker', markdown, summaryRows };
}
