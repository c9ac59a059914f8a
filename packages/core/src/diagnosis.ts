/**
 * The diagnosis in words: per layer, the regime verdict with the indicator it
 * follows and why, the gradient horizon, and a remedy per verdict with the
 * figure that motivates it. Computed once, beside the measurement, so the
 * console, the alerts and the dashboard all say the same thing.
 */
import type { CellKind, Diagnosis, DiagnosisIndicator, GradientHorizon, Remedy } from '@gradscope/protocol';
import { gradientHorizon, gradientRatio } from './horizon.js';
import { DEFAULT_REGIME_THRESHOLDS, classifyRegime, indicatorVerdicts, type Regime, type RegimeThresholds } from './regime.js';

// What diagnose returns is the measurement record's `diagnosis`: its types
// have one home, @gradscope/protocol. The old names stay as aliases.
export type { Diagnosis, Remedy };
export type DiagnosedCell = CellKind;
export type Indicator = DiagnosisIndicator;

export interface DiagnosisInput {
  kind: DiagnosedCell;
  /** T, the probe's sequence length. */
  steps: number;
  /** Top finite-time Lyapunov exponent (probe mean), natural log per step. */
  lambda1: number;
  /** ‖∂L/∂s_t‖ for t = 0..T (probe mean); null without probe targets. */
  gradNorm: readonly number[] | null;
  /** Mean over t of the probe-mean ‖J_t‖₂. */
  meanStepNorm?: number;
  /** ‖R‖₂ and ρ(R) of the recurrent kernel. */
  recurrentKernel?: { norm: number; spectralRadius: number };
  /** The gate that decides how much state is carried: LSTM forget, GRU update. */
  carryGate?: {
    name: 'forget' | 'update';
    /** Mean over t of the probe-mean gate value. */
    mean: number;
    /** Fraction of its entries whose derivative is below 10% of the maximum. */
    saturation: number;
    /** The cell's recurrentActivation ('sigmoid', 'hardSigmoid', …). */
    activation?: string;
  };
  /** Recent global gradient norms of the training steps (for an exploding layer's clip threshold). */
  gradNormHistory?: readonly number[];
  /** The monitor's stopOnNaN is on: not suggested again. */
  stopsOnNaN?: boolean;
  thresholds?: Partial<RegimeThresholds>;
}

/** Three significant digits; exponent form outside [1e-3, 1e4). */
export function formatFigure(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e4 || a < 1e-3 ? x.toExponential(1) : x.toPrecision(3);
  return s.replace(/^-/, '−');
}

/** The horizon as a sentence: "the loss at T feels the last 14 of 100 steps". */
export function describeHorizon(h: GradientHorizon): string {
  if (h.steps === null) return `no gradient horizon (no finite gradient norms over the ${h.of} steps)`;
  return `the loss at T feels the last ${h.steps} of ${h.of} steps`;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A clip threshold with two significant digits: a number a person types. */
const roundThreshold = (x: number) => Number(x.toPrecision(2));

function explodingRemedies(history: readonly number[] | undefined): Remedy[] {
  const finite = (history ?? []).filter((g) => Number.isFinite(g) && g > 0);
  const auto: Remedy = {
    action: 'withClipping(optimizer, { autoClip: { percentile: 10 } })',
    because: 'AutoClip clips at the 10th percentile of the gradient norms seen so far, so the threshold follows training',
  };
  if (finite.length === 0) {
    return [{ ...auto, because: `${auto.because}; there is no gradient-norm history yet to derive a fixed threshold from` }];
  }
  const typical = median(finite);
  const worst = Math.max(...finite);
  return [
    {
      action: `withClipping(optimizer, { globalClipNorm: ${roundThreshold(typical)} })`,
      because: `the median global gradient norm over the last ${finite.length} steps is ${formatFigure(typical)} and the largest ${formatFigure(worst)} (${formatFigure(worst / typical)}× it): clipping at the median caps the spikes and leaves typical steps almost unchanged`,
    },
    auto,
  ];
}

function vanishingRemedies(input: DiagnosisInput, horizon: GradientHorizon): Remedy[] {
  const { kind, steps } = input;
  const felt = horizon.steps !== null ? `${describeHorizon(horizon)}: dependencies longer than ${horizon.steps} steps get almost no gradient` : `1/|λ₁| = ${formatFigure(horizon.timeScale)} steps against T = ${steps}`;
  const shorter: Remedy = { action: 'shorter sequences (or split them), so the dependency fits the horizon', because: felt };
  if (kind === 'simpleRNN' || kind === 'custom') {
    const carry = 'a carry gate near 1 makes ∂s_t/∂s_{t−1} ≈ I along the kept state';
    const l1 = `λ₁ = ${formatFigure(input.lambda1)} per step`;
    // Two different stories: every step contracts, or steps stretch but in
    // directions that change, so the product still shrinks. Say which.
    const contraction =
      input.meanStepNorm === undefined
        ? `${l1}; ${carry}`
        : input.meanStepNorm < 1
          ? `mean ‖J_t‖ = ${formatFigure(input.meanStepNorm)} < 1: every step shrinks the gradient; ${carry}`
          : `mean ‖J_t‖ = ${formatFigure(input.meanStepNorm)} ≥ 1, yet the product shrinks (${l1}): each step stretches a different direction, so none is carried; ${carry}`;
    const remedies: Remedy[] = [{ action: 'a gated cell: tf.layers.lstm or tf.layers.gru, carry gate open (forget/update-gate bias ≈ 1–3)', because: contraction }];
    // Only when the kernel itself contracts: with ‖R‖₂ ≥ 1 a new initialisation is not what is missing.
    if (kind === 'simpleRNN' && input.recurrentKernel && input.recurrentKernel.norm < 1) {
      const { norm, spectralRadius } = input.recurrentKernel;
      remedies.push({
        action: "orthogonal recurrent initialisation: recurrentInitializer: 'orthogonal' (tfjs's default; keep it, or re-initialise)",
        because: `‖R‖₂ = ${formatFigure(norm)}, ρ(R) = ${formatFigure(spectralRadius)}: the recurrent kernel itself contracts; an orthogonal one starts at ‖R‖₂ = 1`,
      });
    }
    remedies.push(shorter);
    return remedies;
  }
  const gate = input.carryGate;
  const remedies: Remedy[] = [];
  if (gate) {
    const survives = Math.pow(gate.mean, steps);
    const what = kind === 'lstm' ? 'the cell state c_0' : 'the state h_0';
    remedies.push({
      action:
        kind === 'lstm'
          ? 'a larger forget-gate bias: unitForgetBias: true (bias 1), or set the forget block of the bias to 2–3'
          : 'a positive update-gate bias (z ≈ 1 copies the state: h_t = z·h_{t−1} + (1 − z)·h̃_t): set the update block of the bias to 2–3',
      because: `the ${gate.name} gate averages ${formatFigure(gate.mean)}, so after T = ${steps} steps ${formatFigure(gate.mean)}^${steps} = ${formatFigure(survives)} of ${what} remains`,
    });
    if (gate.activation === 'hardSigmoid') {
      remedies.push({
        action: "recurrentActivation: 'sigmoid' instead of tfjs's default hardSigmoid",
        because: `the gates use hardSigmoid, whose derivative is exactly 0 outside ±2.5: a gate pushed there passes no gradient and stops learning (${formatFigure(100 * gate.saturation)}% of the ${gate.name} gate's entries are saturated now)`,
      });
    }
  }
  remedies.push(shorter);
  return remedies;
}

function nonFiniteRemedies(history: readonly number[] | undefined, stopsOnNaN: boolean): Remedy[] {
  return [
    ...(stopsOnNaN
      ? []
      : [{ action: 'stopOnNaN: true in gradscope(…), to stop at the first NaN and inspect the step before it', because: 'the measurement contains NaN: the weights or states are no longer finite' }]),
    ...explodingRemedies(history),
    { action: 'a lower learning rate', because: 'a single oversized update is the usual way to NaN in a recurrent network' },
  ];
}

/** Why an exploding verdict wins over what the other indicator says. */
const outranks = (other: Regime | null) =>
  other === 'vanishing'
    ? 'exploding outranks vanishing, because one large update can break training at once'
    : 'one direction that grows is enough for one large update to break training';

/**
 * The diagnosis of one layer. `verdict` is classifyRegime's on the same
 * numbers; when λ₁ and the gradient ratio disagree, `reason` says which one
 * the verdict follows and why: exploding outranks vanishing (it breaks
 * training at once), and vanishing by either one is vanishing, because the
 * two look at different things — λ₁ at the slowest-decaying direction of the
 * Jacobian product, the ratio at the directions the loss gradient actually
 * lives in.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const { steps, lambda1 } = input;
  const t = { ...DEFAULT_REGIME_THRESHOLDS, ...input.thresholds };
  const ratio = input.gradNorm && input.gradNorm.length >= 2 ? gradientRatio(input.gradNorm) : null;
  const indicators = { lambda1, steps, ...(ratio === null ? {} : { gradRatio: ratio }) };
  const verdict = classifyRegime(indicators, input.thresholds);
  const says = indicatorVerdicts(indicators, input.thresholds);
  // T from the input: without gradNorm the horizon cannot count it.
  const horizon = { ...gradientHorizon(input.gradNorm, lambda1), of: steps };
  const follows: Indicator[] = [];
  if (says.lambda1 === verdict) follows.push('lambda1');
  if (says.gradRatio === verdict) follows.push('gradRatio');

  const gain = Math.exp(steps * lambda1);
  const l1 = `λ₁ = ${formatFigure(lambda1)} per step (e^{Tλ₁} = ${formatFigure(gain)} over T = ${steps})`;
  const r = ratio === null ? '' : `g₀/g_T = ${formatFigure(ratio)}`;
  const band = (lo: number, hi: number) => `[${formatFigure(lo)}, ${formatFigure(hi)}]`;
  const lambdaBand = band(t.horizonVanishing, t.horizonExploding);
  const ratioBand = band(t.gradRatioVanishing, t.gradRatioExploding);
  let reason: string;
  if (verdict === 'non-finite') {
    reason = `non-finite: ${ratio === null ? l1 : `${l1}, ${r}`}: the model's weights or states are no longer finite`;
  } else if (ratio === null) {
    reason = `${verdict}, from λ₁ alone (no probe targets, so no gradient ratio): ${l1}, ${verdict === 'stable' ? 'inside' : 'outside'} ${lambdaBand}`;
  } else if (follows.length === 2) {
    reason =
      verdict === 'stable'
        ? `stable: ${l1} inside ${lambdaBand}, ${r} inside ${ratioBand}`
        : `${verdict}: ${l1} and ${r} agree`;
  } else if (verdict === 'vanishing' && follows[0] === 'gradRatio') {
    // λ₁ here says stable: the slowest direction of the product keeps at least
    // horizonVanishing of a perturbation over T. Say exactly that, not more.
    reason = `vanishing, following the gradient ratio: λ₁ alone would say stable — ${l1}, so the slowest direction of the Jacobian product keeps more than ${formatFigure(t.horizonVanishing)} of a perturbation over T — but the loss gradient lives in directions that decay faster: ${r} < ${formatFigure(t.gradRatioVanishing)}`;
  } else if (verdict === 'vanishing') {
    reason = `vanishing, following λ₁: every direction of the Jacobian product decays (${l1} < ${formatFigure(t.horizonVanishing)}), although ${r} does not show it (with returnSequences each step also gets the loss directly)`;
  } else if (follows[0] === 'lambda1') {
    reason = `exploding, following λ₁: some direction of the Jacobian product grows (${l1} > ${formatFigure(t.horizonExploding)}) although the loss gradient reaching s_0 does not (${r}); ${outranks(says.gradRatio)}`;
  } else {
    reason = `exploding, following the gradient ratio: the loss gradient grows on its way back (${r} > ${formatFigure(t.gradRatioExploding)}) although ${l1} does not; ${outranks(says.lambda1)}`;
  }
  const remedies =
    verdict === 'exploding'
      ? explodingRemedies(input.gradNormHistory)
      : verdict === 'vanishing'
        ? vanishingRemedies(input, horizon)
        : verdict === 'non-finite'
          ? nonFiniteRemedies(input.gradNormHistory, input.stopsOnNaN === true)
          : [];
  return { verdict, follows, reason, gradRatio: ratio, horizon, remedies };
}
