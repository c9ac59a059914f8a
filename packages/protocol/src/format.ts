/**
 * One line of text per event, for headless use (the console summary sink, CLI
 * tails, test failure messages). Numbers are shown with 3 significant digits;
 * non-finite ones as NaN/Infinity, never hidden.
 */
import type { GradscopeEvent, RunTotals } from './events.js';
import type { LayerMeasurement } from './measurement.js';

/** 3 significant digits, exponent form outside [1e-3, 1e4). */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

const last = (xs: number[]) => xs[xs.length - 1];

function layerLine(m: LayerMeasurement): string {
  const parts = [`${m.layer} ${m.regime}`, `λ₁ ${formatNumber(m.ftle.mean[0])}`, `β ${formatNumber(m.beta.mean)}`];
  if (m.gradNorm) {
    const first = m.gradNorm.mean[0];
    const end = last(m.gradNorm.mean);
    if (first !== undefined && end !== undefined) parts.push(`g₀/g_T ${formatNumber(first / end)}`);
  }
  return parts.join(' ');
}

/**
 * What a run's monitor cost training, from its run-end totals, e.g. `; the
 * monitor took 2.9% of training time on its thread; beside the measurement
 * worker training waited 4.1% for a core, and its steps' excess over steps
 * while the worker rested came to 4.6%` (shares of training time, as
 * charged); empty when not reported.
 */
export function formatRunCost(t: RunTotals): string {
  if (t.monitorShare === undefined) return '';
  const percent = (share: number) => `${formatNumber(100 * share)}%`;
  const beside = [
    ...(t.waitShare == null ? [] : [`training waited ${percent(t.waitShare)} for a core`]),
    ...(t.slowdownShare == null ? [] : [`its steps' excess over steps while the worker rested came to ${percent(t.slowdownShare)}`]),
  ];
  const worker = beside.length === 0 ? '' : `; beside the measurement worker ${beside.join(', and ')}`;
  return `; the monitor took ${percent(t.monitorShare)} of training time on its thread${worker}`;
}

/** e.g. `step 120 ep 1 measurement lstm_1 stable λ₁ -0.012 β 0.98 g₀/g_T 0.41 | simple_rnn_1 vanishing …` */
export function formatEvent(e: GradscopeEvent): string {
  const head = `step ${e.step} ep ${e.epoch} ${e.type}`;
  switch (e.type) {
    case 'run-start':
      return `${head} ${e.runId} "${e.name}" ${e.model.layers.map((l) => `${l.name}(${l.kind} ${l.units})`).join(' ')} on ${e.backend}`;
    case 'train-step': {
      const metrics = Object.entries(e.metrics).map(([k, v]) => ` ${k} ${formatNumber(v)}`);
      const clipped = e.gradNormAfter !== null && e.gradNormAfter !== e.gradNormBefore ? `→${formatNumber(e.gradNormAfter)}` : '';
      return `${head} loss ${formatNumber(e.loss)}${metrics.join('')} ‖g‖ ${formatNumber(e.gradNormBefore)}${clipped} lr ${formatNumber(e.learningRate)}`;
    }
    case 'measurement':
      return `${head} ${e.layers.map(layerLine).join(' | ')} (${formatNumber(e.durationMs)} ms)`;
    case 'clip': {
      const effect = e.mode === 'clipValue' ? `${formatNumber(e.fractionClipped)} of values` : `×${formatNumber(e.scale)}`;
      const what = e.variables.length === 1 ? e.variables[0] : `${e.variables.length} tensors`;
      return `${head} ${e.mode} ${formatNumber(e.threshold)} ${what} ‖g‖ ${formatNumber(e.normBefore)} ${effect}`;
    }
    case 'alert':
      return `${head} [${e.severity}] ${e.kind}${e.layer ? ` ${e.layer}` : ''}: ${e.message}`;
    case 'run-end':
      return `${head} ${e.status}${e.reason ? ` (${e.reason})` : ''} after ${e.totals.steps} steps, ${e.totals.measurements} measurements, ${e.totals.alerts} alerts${formatRunCost(e.totals)}`;
  }
}
