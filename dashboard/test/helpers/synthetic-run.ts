/**
 * A synthetic but plausible run for unit tests and the redraw benchmark: one
 * LSTM layer whose per-step norms drift from vanishing (‖J‖ < 1) towards
 * exploding over training, a loss that falls, a clip event every `clipEvery`
 * steps and a measurement every `every` steps.
 */
import type { GradscopeEvent, LayerMeasurement, Summary } from '@gradscope/protocol';

export interface SyntheticOptions {
  runId?: string;
  steps: number;
  T: number;
  every?: number;
  clipEvery?: number;
  k?: number;
  /** Make the measurement at this step non-finite (NaN norms). */
  nanAtStep?: number;
}

function summary(mean: number[], spread = 0.05): Summary {
  return { mean, min: mean.map((v) => v - Math.abs(v) * spread), max: mean.map((v) => v + Math.abs(v) * spread) };
}

export function layerMeasurement(progress: number, T: number, k: number, nan = false): LayerMeasurement {
  const stepNorm: number[] = [];
  const logBound: number[] = [];
  const logProduct: number[] = [];
  let bound = 0;
  for (let t = 0; t < T; t++) {
    const sn = nan ? NaN : Math.exp(-0.4 + 0.6 * progress + 0.15 * Math.sin(t / 9));
    stepNorm.push(sn);
    bound += Math.log(sn);
    logBound.push(bound);
    logProduct.push(bound - 0.3 * t * (1 - progress));
  }
  const grad: number[] = [];
  for (let t = 0; t <= T; t++) grad.push(Math.exp((logProduct[T - 1]! - (logProduct[t - 1] ?? 0)) * -0.2));
  const forget = Array.from({ length: T }, () => 0.6 + 0.3 * progress);
  let carousel = 0;
  const logCarousel = forget.map((f) => (carousel += Math.log(f)));
  const beta = Math.max(...stepNorm);
  return {
    layer: 'lstm_1',
    kind: 'lstm',
    method: 'analytic',
    units: 32,
    stateSize: 64,
    steps: T,
    samples: 8,
    stepNorm: summary(stepNorm),
    logProduct: summary(logProduct),
    logBound: summary(logBound),
    beta: { mean: beta, min: beta * 0.95, max: beta * 1.05 },
    ftle: summary(Array.from({ length: k }, (_, i) => -0.3 + 0.5 * progress - 0.1 * i)),
    gradNorm: summary(grad),
    recurrentKernel: { norm: 1 + progress, spectralRadius: 0.8 + progress },
    gates: {
      kind: 'lstm',
      forget: summary(forget),
      input: summary(forget.map((f) => 1 - f)),
      output: summary(forget.map(() => 0.5)),
      logCarousel: summary(logCarousel),
      saturation: { forget: 0.1 * progress, input: 0.05, output: 0.02, cell: 0.2 },
    },
    regime: progress < 0.3 ? 'vanishing' : progress < 0.7 ? 'stable' : 'exploding',
  };
}

export function syntheticRun(o: SyntheticOptions): GradscopeEvent[] {
  const runId = o.runId ?? 'synthetic-run';
  const every = o.every ?? 10;
  const k = o.k ?? 4;
  let seq = 0;
  const env = (step: number) => ({ version: 1, runId, seq: seq++, step, epoch: 0, time: 1_700_000_000_000 + step * 10 });
  const out: GradscopeEvent[] = [];
  out.push({
    ...env(0),
    type: 'run-start',
    name: 'synthetic lstm',
    model: { layers: [{ name: 'lstm_1', kind: 'lstm', units: 32, stateSize: 64, sequenceLength: o.T }], totalParams: 4321 },
    backend: 'cpu',
    options: { every },
    versions: {},
  });
  for (let step = 0; step < o.steps; step++) {
    const p = step / Math.max(1, o.steps - 1);
    const g = 0.5 + 3 * p * p;
    const clipped = o.clipEvery != null && step % o.clipEvery === o.clipEvery - 1;
    out.push({ ...env(step), type: 'train-step', loss: 1 / (1 + step / 50), metrics: { mae: 0.5 / (1 + step / 80) }, gradNormBefore: g, gradNormAfter: clipped ? 1 : g, learningRate: 1e-3 });
    if (clipped) {
      out.push({ ...env(step), type: 'clip', variables: ['lstm_1/recurrent_kernel'], mode: 'clipNorm', threshold: 1, normBefore: g, scale: 1 / g, fractionClipped: null });
    }
    if (step % every === 0) {
      out.push({ ...env(step), type: 'measurement', layers: [layerMeasurement(p, o.T, k, step === o.nanAtStep)], durationMs: 5 });
    }
  }
  out.push({ ...env(o.steps - 1), type: 'alert', kind: 'exploding', severity: 'warning', message: 'lstm_1: λ₁ crossed 0', layer: 'lstm_1', value: 0.1, threshold: 0 });
  out.push({ ...env(o.steps - 1), type: 'run-end', status: 'completed', reason: null, totals: { steps: o.steps, epochs: 1, measurements: Math.ceil(o.steps / every), clips: 0, alerts: 1, durationMs: o.steps * 10 } });
  return out;
}
