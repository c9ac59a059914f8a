/**
 * One realistic event of every type, from one small run (an LSTM and a
 * SimpleRNN on the adding problem, 6 steps, 4 probe samples). They are the
 * examples in PROTOCOL.md (a test checks the document against them) and
 * fixtures for the server's and dashboard's tests. The per-sample numbers are
 * synthesised but keep the relations real data has: logBound is the running
 * sum of ln stepNorm, logProduct ≤ logBound, β = max stepNorm, λ₁ ≈ logProduct[T]/T,
 * summaries are mean/min/max over the samples. The diagnoses are what
 * @gradscope/core `diagnose` says of these numbers with the vanishing
 * thresholds this run set (horizonVanishing and gradRatioVanishing 0.05).
 */
import type { EventOf, EventType, GradscopeEvent } from './events.js';
import { PROTOCOL_VERSION } from './events.js';
import type { GruGates, LayerMeasurement, LstmGates, ScalarSummary, Summary } from './measurement.js';

export const EXAMPLE_RUN_ID = '20250301-142233-017-adding-lstm-vs-rnn';
const T = 6;
const S = 4;
const T0 = Date.UTC(2025, 2, 1, 14, 22, 33, 17);

const r4 = (x: number) => Number(x.toPrecision(4));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** mean/min/max over samples of per-sample rows (rows[s][i]). */
function summarize(rows: number[][]): Summary {
  const n = rows[0]?.length ?? 0;
  const col = (i: number) => rows.map((row) => row[i]!);
  return {
    mean: range(n).map((i) => r4(col(i).reduce((a, b) => a + b, 0) / rows.length)),
    min: range(n).map((i) => r4(Math.min(...col(i)))),
    max: range(n).map((i) => r4(Math.max(...col(i)))),
  };
}

function summarizeScalar(values: number[]): ScalarSummary {
  return { mean: r4(values.reduce((a, b) => a + b, 0) / values.length), min: r4(Math.min(...values)), max: r4(Math.max(...values)) };
}

const cumsum = (xs: number[]) => xs.map(((acc) => (x: number) => (acc += x))(0));

/** Jacobian-derived quantities of one layer from per-sample step norms and a per-step product gap. */
function jacobianStats(norm: (s: number, t: number) => number, gap: number, k: number, lastGrad: number) {
  const stepNorm = range(S).map((s) => range(T).map((t) => norm(s, t)));
  const logBound = stepNorm.map((row) => cumsum(row.map(Math.log)));
  const logProduct = logBound.map((row, s) => row.map((b, t) => b - gap * (t + 1) * (1 + 0.1 * s)));
  const lambda1 = logProduct.map((row) => row[T - 1]! / T);
  const ftle = lambda1.map((l1) => range(k).map((i) => l1 - 0.35 * i));
  // Backprop: ‖∂L/∂s_t‖ ≈ ‖∂L/∂s_T‖ · ‖J_T⋯J_{t+1}‖, reusing the product's logs.
  const gradNorm = logProduct.map((row) => range(T + 1).map((t) => lastGrad * Math.exp(row[T - 1]! - (t === 0 ? 0 : row[t - 1]!))));
  return {
    steps: T,
    samples: S,
    stepNorm: summarize(stepNorm),
    logProduct: summarize(logProduct),
    logBound: summarize(logBound),
    beta: summarizeScalar(stepNorm.map((row) => Math.max(...row))),
    ftle: summarize(ftle),
    gradNorm: summarize(gradNorm),
  };
}

function lstmGates(): LstmGates {
  const forget = range(S).map((s) => range(T).map((t) => 0.62 + 0.03 * Math.sin(t + s)));
  const gate = (base: number) => summarize(range(S).map((s) => range(T).map((t) => base + 0.04 * Math.cos(t * (s + 1)))));
  return {
    kind: 'lstm',
    forget: summarize(forget),
    input: gate(0.46),
    output: gate(0.51),
    logCarousel: summarize(forget.map((row) => cumsum(row.map(Math.log)))),
    saturation: { forget: 0.031, input: 0.047, output: 0.022, cell: 0.118 },
  };
}

function layers(): LayerMeasurement[] {
  const lstm: LayerMeasurement = {
    layer: 'lstm_1',
    kind: 'lstm',
    method: 'analytic',
    units: 4,
    stateSize: 8,
    ...jacobianStats((s, t) => 0.97 + 0.02 * Math.sin(1.3 * t + s), 0.01, 3, 0.42),
    recurrentKernel: { norm: 1.184, spectralRadius: 0.8731 },
    gates: lstmGates(),
    regime: 'stable',
    diagnosis: {
      verdict: 'stable',
      follows: ['lambda1', 'gradRatio'],
      reason: 'stable: λ₁ = −0.0402 per step (e^{Tλ₁} = 0.786 over T = 6) inside [0.0500, 100], g₀/g_T = 0.786 inside [0.0500, 100]',
      gradRatio: 0.7857,
      horizon: { steps: 6, of: 6, factor: 10, timeScale: 24.87 },
      remedies: [],
    },
  };
  const rnn: LayerMeasurement = {
    layer: 'simple_rnn_1',
    kind: 'simpleRNN',
    method: 'analytic',
    units: 4,
    stateSize: 4,
    ...jacobianStats((s, t) => 0.52 + 0.06 * Math.cos(0.7 * t * (s + 1)), 0.04, 3, 0.37),
    recurrentKernel: { norm: 0.7412, spectralRadius: 0.6025 },
    gates: null,
    regime: 'vanishing',
    diagnosis: {
      verdict: 'vanishing',
      follows: ['lambda1', 'gradRatio'],
      reason: 'vanishing: λ₁ = −0.696 per step (e^{Tλ₁} = 0.0153 over T = 6) and g₀/g_T = 0.0154 agree',
      gradRatio: 0.01537,
      horizon: { steps: 4, of: 6, factor: 10, timeScale: 1.436 },
      remedies: [
        {
          action: 'a gated cell: tf.layers.lstm or tf.layers.gru, carry gate open (forget/update-gate bias ≈ 1–3)',
          because: 'mean ‖J_t‖ = 0.524 < 1: every step shrinks the gradient; a carry gate near 1 makes ∂s_t/∂s_{t−1} ≈ I along the kept state',
        },
        {
          action: "orthogonal recurrent initialisation: recurrentInitializer: 'orthogonal' (tfjs's default; keep it, or re-initialise)",
          because: '‖R‖₂ = 0.741, ρ(R) = 0.603: the recurrent kernel itself contracts; an orthogonal one starts at ‖R‖₂ = 1',
        },
        {
          action: 'shorter sequences (or split them), so the dependency fits the horizon',
          because: 'the loss at T feels the last 4 of 6 steps: dependencies longer than 4 steps get almost no gradient',
        },
      ],
    },
  };
  return [lstm, rnn];
}

/** A GRU gate block, for tests (the example run has no GRU). */
export function exampleGruGates(): GruGates {
  const gate = (base: number) => summarize(range(S).map((s) => range(T).map((t) => base + 0.05 * Math.sin(t - s))));
  return { kind: 'gru', update: gate(0.71), reset: gate(0.38), saturation: { update: 0.064, reset: 0.012, candidate: 0.093 } };
}

const envelope = <T extends EventType>(type: T, seq: number, step: number, ms: number) => ({
  version: PROTOCOL_VERSION,
  type,
  runId: EXAMPLE_RUN_ID,
  seq,
  step,
  epoch: 0,
  time: T0 + ms,
});

/** One example of each event type, in EVENT_TYPES order; fresh objects on every call. */
export function exampleEvents(): GradscopeEvent[] {
  return [
    {
      ...envelope('run-start', 0, 0, 0),
      name: 'adding: LSTM vs SimpleRNN',
      model: {
        layers: [
          { name: 'lstm_1', kind: 'lstm', units: 4, stateSize: 8, sequenceLength: 6 },
          { name: 'simple_rnn_1', kind: 'simpleRNN', units: 4, stateSize: 4, sequenceLength: 6 },
        ],
        totalParams: 153,
      },
      backend: 'wasm',
      options: { every: 10, budget: 0.05, stopOnNaN: false, logdir: './gradscope-runs', probe: { xs: [4, 6, 2], ys: [4, 1] } },
      versions: { '@gradscope/tfjs': '0.1.0', '@gradscope/protocol': '0.1.0', '@tensorflow/tfjs': '4.22.0' },
    },
    {
      ...envelope('train-step', 1, 0, 412),
      loss: 0.1734,
      metrics: { mae: 0.3351 },
      gradNormBefore: 2.731,
      gradNormAfter: 1,
      learningRate: 0.001,
      clipThreshold: 1,
    },
    { ...envelope('measurement', 2, 0, 498), layers: layers(), durationMs: 86.4 },
    {
      ...envelope('clip', 3, 0, 499),
      variables: ['lstm_1/kernel', 'lstm_1/recurrent_kernel', 'lstm_1/bias', 'simple_rnn_1/kernel', 'simple_rnn_1/recurrent_kernel', 'simple_rnn_1/bias', 'dense_1/kernel', 'dense_1/bias'],
      mode: 'globalClipNorm',
      threshold: 1,
      normBefore: 2.731,
      scale: 0.3662,
      fractionClipped: null,
    },
    {
      ...envelope('alert', 4, 0, 500),
      kind: 'vanishing',
      severity: 'warning',
      message: 'gradNorm[0]/gradNorm[T] = 0.0154 < 0.05: the first steps receive almost no gradient',
      layer: 'simple_rnn_1',
      value: 0.0154,
      threshold: 0.05,
    },
    {
      ...envelope('run-end', 5, 0, 501),
      status: 'completed',
      reason: null,
      totals: { steps: 1, epochs: 1, measurements: 1, clips: 1, alerts: 1, durationMs: 501, monitorShare: 0.031, waitShare: null },
    },
  ];
}

/** The example event of one type (a fresh object). */
export function exampleEvent<T extends EventType>(type: T): EventOf<T> {
  return exampleEvents().find((e) => e.type === type) as EventOf<T>;
}

/** An alert carrying NaN from another run (an exploding SimpleRNN), to show the encoding of non-finite numbers. */
export function exampleNonFiniteAlert(): EventOf<'alert'> {
  return {
    version: PROTOCOL_VERSION,
    type: 'alert',
    runId: '20250301-150102-554-exploding-rnn',
    seq: 37,
    step: 36,
    epoch: 0,
    time: Date.UTC(2025, 2, 1, 15, 1, 9, 230),
    kind: 'non-finite',
    severity: 'error',
    message: 'loss is NaN at step 36',
    value: NaN,
  };
}
