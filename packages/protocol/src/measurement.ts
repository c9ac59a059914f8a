/**
 * The per-layer measurement record: what @gradscope/tfjs `measureModel`
 * produces for one recurrent cell on one measured training step, exactly.
 * The definitions of the quantities are in docs/measurements.md at the root
 * of the repository; the conventions a reader needs (indexing, logs) are
 * repeated here. This file is the one home of the types the measurement is
 * made of: @gradscope/core and @gradscope/tfjs import them from here.
 *
 * Every number here may be NaN or ±Infinity: a model that already diverged is
 * reported as such, never silently dropped (see encode.ts for how those
 * values survive JSON).
 */

/** Cell kinds gradscope knows the Jacobian of; 'custom' is measured by autodiff. */
export type CellKind = 'simpleRNN' | 'lstm' | 'gru' | 'custom';
export const CELL_KINDS: readonly CellKind[] = ['simpleRNN', 'lstm', 'gru', 'custom'];

/** How the per-step Jacobians were obtained. */
export type JacobianMethod = 'analytic' | 'autodiff';
export const JACOBIAN_METHODS: readonly JacobianMethod[] = ['analytic', 'autodiff'];

/** vanishing/exploding from λ₁ and gradNorm[0]/gradNorm[T]; thresholds live in @gradscope/core. */
export type Regime = 'vanishing' | 'stable' | 'exploding' | 'non-finite';
export const REGIMES: readonly Regime[] = ['vanishing', 'stable', 'exploding', 'non-finite'];

/**
 * A per-index quantity summarised over the probe samples: mean[i], min[i] and
 * max[i] are taken over the S samples at index i. The three arrays always have
 * the same length.
 */
export interface Summary {
  mean: number[];
  min: number[];
  max: number[];
}

/** A scalar summarised over the probe samples. */
export interface ScalarSummary {
  mean: number;
  min: number;
  max: number;
}

/** LSTM gate statistics. Per-t summaries have length `steps`; each sample's value at t is the mean over units. */
export interface LstmGates {
  kind: 'lstm';
  forget: Summary;
  input: Summary;
  output: Summary;
  /** logCarousel[t] = mean over units of Σ_{u≤t} ln f_u: how much of c_0 survives to step t (0 = all of it). */
  logCarousel: Summary;
  /** Fraction of (sample, step, unit) entries whose gate derivative is below 10% of its maximum (NaN: not defined for that activation). */
  saturation: { forget: number; input: number; output: number; cell: number };
}

/** GRU gate statistics; update gate z ≈ 1 copies the state (J ≈ I). */
export interface GruGates {
  kind: 'gru';
  update: Summary;
  reset: Summary;
  saturation: { update: number; reset: number; candidate: number };
}

/** Which indicator a verdict follows: the top Lyapunov exponent, or gradNorm[0]/gradNorm[T]. */
export type DiagnosisIndicator = 'lambda1' | 'gradRatio';
export const DIAGNOSIS_INDICATORS: readonly DiagnosisIndicator[] = ['lambda1', 'gradRatio'];

/** The gradient horizon: how far back the loss at the last step still reaches (computed by @gradscope/core `gradientHorizon`). */
export interface GradientHorizon {
  /**
   * h: the states s_T, s_{T−1}, …, s_{T−h+1} all receive a gradient within
   * `factor` of ‖∂L/∂s_T‖ (1 ≤ h ≤ T), so the loss at T "feels the last h of
   * T steps". null when the gradient norms are missing or not finite.
   */
  steps: number | null;
  /** T, the probe's sequence length. */
  of: number;
  /** The factor h is measured against. */
  factor: number;
  /**
   * 1/|λ₁|: the steps over which the Jacobian product's slowest direction
   * changes by a factor e (its own time scale). Infinity when λ₁ = 0; NaN when λ₁ is.
   */
  timeScale: number;
}

/** One thing to try, with the measured figure that motivates it. */
export interface Remedy {
  /** What to try, in the words of the API where there is one. */
  action: string;
  /** The measured figure that motivates it. */
  because: string;
}

/**
 * The measurement in words, computed once by @gradscope/core `diagnose` so
 * that the console, the alerts and the dashboard say the same thing.
 */
export interface Diagnosis {
  /** Always equal to the layer's `regime`. */
  verdict: Regime;
  /** The indicators that support the verdict; both when they agree. */
  follows: DiagnosisIndicator[];
  /** The verdict, its figures, and (when λ₁ and the gradient ratio disagree) which one it follows and why. */
  reason: string;
  /** gradNorm[0] / gradNorm[T] of the probe means; null without gradNorm. */
  gradRatio: number | null;
  horizon: GradientHorizon;
  /** What to try, each with the figure that motivates it; empty when stable. */
  remedies: Remedy[];
}

export interface LayerMeasurement {
  /** Cell name, e.g. 'lstm_1', 'bidirectional_1/forward', 'rnn_1/cell_0'. */
  layer: string;
  kind: CellKind;
  method: JacobianMethod;
  /** Units n of the cell. */
  units: number;
  /** Size of the state the Jacobians act on (2n for LSTM: h and c). */
  stateSize: number;
  /** Sequence length T of the probe. */
  steps: number;
  /** Probe samples S the summaries are taken over. */
  samples: number;
  /** ‖J_t‖₂ for t = 1..T, at index t-1 (length T). */
  stepNorm: Summary;
  /** ln ‖J_t⋯J_1‖₂ (length T). */
  logProduct: Summary;
  /** Σ_{u≤t} ln ‖J_u‖₂ (length T); always ≥ logProduct. */
  logBound: Summary;
  /** max_t ‖J_t‖₂; T·ln β is the seed's β^T line. */
  beta: ScalarSummary;
  /** Finite-time Lyapunov exponents λ_1..λ_k, natural log per step (1 ≤ k ≤ stateSize). */
  ftle: Summary;
  /** ‖∂L/∂s_t‖ for t = 0..T at index t (length T+1); null without a loss. */
  gradNorm: Summary | null;
  /** ‖R‖₂ and spectral radius ρ(R) of the recurrent kernel. */
  recurrentKernel: { norm: number; spectralRadius: number };
  /** Gate statistics; kind matches the layer's kind, null when not available. */
  gates: LstmGates | GruGates | null;
  regime: Regime;
  /** The regime in words, the gradient horizon and remedies; absent in runs recorded before it existed. */
  diagnosis?: Diagnosis;
}

/**
 * gradNorm[0] / gradNorm[T]: the share of the loss gradient at the last state
 * that reaches the first (the `gradRatio` of a Diagnosis and of the regime).
 * The one definition: @gradscope/core re-exports it, the server's export uses
 * it for runs recorded before diagnoses existed.
 */
export function gradientRatio(gradNorm: readonly number[]): number {
  if (gradNorm.length < 2) throw new Error(`gradientRatio: need gradNorm for t = 0..T (at least 2 values), got ${gradNorm.length}`);
  return gradNorm[0]! / gradNorm[gradNorm.length - 1]!;
}
