/**
 * Export of a whole run, streamed from disk: JSON (an array of encoded
 * events) and CSV (one row per train-step, with per-layer columns from the
 * latest measurement at or before that step). CSV takes two passes over the
 * file — one to learn the metric and layer names for the header — so memory
 * stays bounded by one measurement.
 */
import { gradientRatio, type GradscopeEvent, type LayerMeasurement, type MeasurementEvent } from '@gradscope/protocol';
import type { RunState } from './run-state.js';
import type { RunStore } from './run-store.js';

export async function* exportJson(store: RunStore, run: RunState): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const s of store.readEvents(run, -1)) {
    yield (first ? '\n' : ',\n') + s.line;
    first = false;
  }
  yield '\n]\n';
}

const LAYER_COLUMNS = ['regime', 'lambda1', 'logProductT', 'logBoundT', 'gradRatio'] as const;

/**
 * A CSV field: numbers as JS prints them (NaN, Infinity, -0.5 stay
 * readable), text quoted when needed. Text starting with = + - @ tab or CR
 * (metric and layer names come from the training script) gets a leading
 * apostrophe, so a spreadsheet shows it instead of running it as a formula.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function layerValues(l: LayerMeasurement | undefined): unknown[] {
  if (!l) return LAYER_COLUMNS.map(() => null);
  const last = (xs: number[]) => xs[xs.length - 1] ?? null;
  // The ratio the run itself reported (its diagnosis); runs recorded before
  // diagnoses existed get the same definition, from the protocol.
  const g = l.gradNorm?.mean;
  const ratio = l.diagnosis ? l.diagnosis.gradRatio : g && g.length >= 2 ? gradientRatio(g) : null;
  return [l.regime, l.ftle.mean[0] ?? null, last(l.logProduct.mean), last(l.logBound.mean), ratio];
}

export async function* exportCsv(store: RunStore, run: RunState): AsyncGenerator<string> {
  const metrics = new Set<string>();
  const layers = new Set<string>();
  for await (const { event } of store.readEvents(run, -1)) {
    if (event.type === 'train-step') for (const k of Object.keys(event.metrics)) metrics.add(k);
    else if (event.type === 'run-start') for (const l of event.model.layers) layers.add(l.name);
    else if (event.type === 'measurement') for (const l of event.layers) layers.add(l.layer);
  }
  const metricNames = [...metrics];
  const layerNames = [...layers];
  const header = ['step', 'epoch', 'time', 'loss', ...metricNames, 'gradNormBefore', 'gradNormAfter', 'learningRate'];
  for (const name of layerNames) for (const c of LAYER_COLUMNS) header.push(`${name}.${c}`);
  yield header.map(csvField).join(',') + '\n';
  let latest: MeasurementEvent | null = null;
  for await (const { event } of store.readEvents(run, -1)) {
    if (event.type === 'measurement') latest = event;
    if (event.type !== 'train-step') continue;
    const e = event as Extract<GradscopeEvent, { type: 'train-step' }>;
    const row: unknown[] = [e.step, e.epoch, e.time, e.loss, ...metricNames.map((m) => e.metrics[m]), e.gradNormBefore, e.gradNormAfter, e.learningRate];
    const m: MeasurementEvent | null = latest !== null && latest.step <= e.step ? latest : null;
    for (const name of layerNames) row.push(...layerValues(m?.layers.find((l) => l.layer === name)));
    yield row.map(csvField).join(',') + '\n';
  }
}
