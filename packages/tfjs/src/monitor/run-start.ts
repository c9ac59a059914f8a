import * as tf from '@tensorflow/tfjs';
import { makeRunId, type JsonObject } from '@gradscope/protocol';
import { checkKForCell } from '../measure-options.js';
import { checkProbe, type Probe } from '../probe.js';
import { cellStateSizes } from '../recurrent-loop.js';
import { selectRecurrentLayers, type LayerTarget } from '../recurrent-layers.js';
import { VERSION } from '../version.js';
import type { EventDraft } from './event-stream.js';
import { modelSummary } from './model-summary.js';
import type { ResolvedOptions } from './options.js';

/** What a run is about, known before anything is written: its model, probe, layers and name. */
export interface RunPlan {
  model: tf.LayersModel;
  probe: Probe;
  targets: LayerTarget[];
  /** Shown on the dashboard: the runName option, or the model's name and first cell kind; `-2`, `-3`… for later runs of one monitor. */
  runName: string;
  runId: string;
}

/**
 * Checks that a run can start and names it. Throws, before any training
 * step, when there is no model, no probe, a probe the model does not take,
 * no recurrent layer (among `layers`, when given) to measure, or a `k`
 * above a measured cell's state size.
 * `runNumber` counts this monitor's runs from 1.
 */
export function planRun(model: tf.LayersModel | null | undefined, probe: Probe | null, options: ResolvedOptions, runNumber: number): RunPlan {
  if (!model) throw new Error('gradscope: no model to monitor (the callback was not given one by fit, and step()/measure() got none)');
  if (!probe) {
    throw new Error(
      "gradscope: option 'probe' is missing: pass gradscope({ probe: { xs, ys } }) with a few input sequences (and their targets), " +
        'or, for fitDataset, wrap the dataset with monitor.tap(dataset) so the first batch becomes the probe',
    );
  }
  checkProbe(model, probe);
  const targets = selectRecurrentLayers(model, options.layers ?? undefined);
  if (targets.length === 0) {
    throw new Error('gradscope: the model has no recurrent layer (SimpleRNN, LSTM, GRU, RNN or Bidirectional) to monitor');
  }
  // Here, not at the first measurement: there a k too large fails every measurement of the run, one alert each.
  for (const cell of targets.flatMap((t) => t.cells)) {
    const size = cellStateSizes(cell.cell).reduce((a, b) => a + b, 0);
    if (Number.isFinite(size)) checkKForCell(options.k, cell.name, size, 'gradscope');
  }
  const name = options.runName ?? `${model.name ?? 'model'}-${targets[0]!.cells[0]!.kind}`;
  const runName = runNumber > 1 ? `${name}-${runNumber}` : name;
  return { model, probe, targets, runName, runId: makeRunId(runName) };
}

/** The run-start event: the model's recurrent layers, backend, effective options and versions. */
export function runStartEvent(plan: RunPlan, options: ResolvedOptions): EventDraft {
  const xs0 = Array.isArray(plan.probe.xs) ? plan.probe.xs[0]! : plan.probe.xs;
  return {
    type: 'run-start',
    name: plan.runName,
    model: modelSummary(plan.model, plan.targets, xs0.rank >= 2 ? xs0.shape[1]! : null),
    backend: tf.getBackend(),
    options: describeOptions(options, plan.probe),
    versions: { '@gradscope/tfjs': VERSION, '@tensorflow/tfjs': tf.version.tfjs },
  };
}

/**
 * The effective options as plain JSON: tensors become shapes, the token is
 * never written, and a non-finite number (`budget: Infinity`) is written as
 * the string the protocol uses for it ("Infinity"), not as JSON's null.
 */
export function describeOptions(options: ResolvedOptions, probe: Probe | null): JsonObject {
  const shapes = (t: tf.Tensor | tf.Tensor[] | undefined) => (t === undefined ? null : (Array.isArray(t) ? t : [t]).map((x) => x.shape));
  const { probe: given, token, ...rest } = options;
  const nonFinite = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);
  return JSON.parse(
    JSON.stringify({ ...rest, token: token ? '(set)' : null, probe: probe ? { xs: shapes(probe.xs), ys: shapes(probe.ys) } : null, probeSource: given ? 'option' : 'tap' }, nonFinite),
  ) as JsonObject;
}
