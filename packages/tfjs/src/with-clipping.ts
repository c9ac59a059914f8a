import * as tf from '@tensorflow/tfjs';
import { gradientNorms } from './gradient-norms.js';
import { AutoClipHistory, checkAutoClip, type AutoClipOptions } from './auto-clip.js';
import { rejectUnknownOptions } from '@gradscope/protocol';

/**
 * Options of withClipping. Give at most one of clipNorm, globalClipNorm,
 * clipValue and autoClip; give none to record gradient norms without clipping.
 */
export interface ClippingOptions {
  /** Scale each gradient tensor g to norm ≤ clipNorm: g · min(1, clipNorm/‖g‖). Default: off. */
  clipNorm?: number;
  /** Scale all gradients together to global norm ≤ globalClipNorm (Pascanu et al. 2013). Default: off. */
  globalClipNorm?: number;
  /** Clamp every gradient entry to [−clipValue, clipValue]. Default: off. */
  clipValue?: number;
  /**
   * AutoClip (Seetharaman et al. 2020): scale all gradients together to global
   * norm ≤ the p-th percentile of the global norms seen so far, this step's
   * included. `{}` takes the defaults (percentile 10, every step). Default: off.
   */
  autoClip?: AutoClipOptions;
}

export type ClipMode = 'clipNorm' | 'globalClipNorm' | 'clipValue' | 'autoClip';

/** What one optimizer step saw and did. */
export interface ClipReport {
  /** Optimizer step (the wrapped optimizer's iteration count before this step). */
  iteration: number;
  /** ‖g‖ per variable, before clipping. */
  norms: Record<string, number>;
  /** √Σ‖g‖² before and after clipping. */
  globalNormBefore: number;
  globalNormAfter: number;
  mode: ClipMode | null;
  /** The threshold in force this step: the configured one, or autoClip's percentile (null before any finite norm). */
  threshold: number | null;
  /** Variables that were clipped, with the scale applied (clipNorm/globalClipNorm) or the fraction of entries clamped (clipValue). */
  clipped: { variable: string; normBefore: number; factor: number }[];
  learningRate: number | null;
}

export type ClipListener = (report: ClipReport) => void;

const KNOWN = ['clipNorm', 'globalClipNorm', 'clipValue', 'autoClip'] as const;
/** Brand of ClippingOptimizer instances (see its Symbol.hasInstance). */
const CLIPPING = Symbol('gradscope.ClippingOptimizer');

function checkOptions(options: ClippingOptions): { mode: ClipMode | null; threshold: number | null; autoClip: AutoClipHistory | null } {
  if (options == null || typeof options !== 'object') {
    throw new Error(`withClipping: options must be an object like { globalClipNorm: 1 }, got ${String(options)}`);
  }
  rejectUnknownOptions('withClipping', options, KNOWN);
  const given = KNOWN.filter((k) => options[k] !== undefined);
  if (given.length > 1) {
    throw new Error(`withClipping: give at most one of ${KNOWN.join(', ')}; got ${given.join(' and ')}`);
  }
  const mode = given[0] ?? null;
  if (!mode) return { mode: null, threshold: null, autoClip: null };
  if (mode === 'autoClip') {
    const { percentile, history } = checkAutoClip(options.autoClip);
    return { mode, threshold: null, autoClip: new AutoClipHistory(percentile, history) };
  }
  const value = options[mode];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`withClipping: ${mode} must be a positive finite number, got ${String(value)}`);
  }
  return { mode, threshold: value, autoClip: null };
}

/** A gradient with its variable's name, as tfjs optimizers receive them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Gradients as a list of { name, tensor }, whichever form applyGradients received. */
export function namedGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): NamedTensor[] {
  const named = Array.isArray(variableGradients)
    ? variableGradients
    : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
  return named.filter((g) => g.tensor != null);
}

/** √Σ v². */
export const globalNorm = (norms: ArrayLike<number>, scales?: number[]) =>
  Math.sqrt(Array.from(norms).reduce((s, v, i) => s + (v * (scales?.[i] ?? 1)) ** 2, 0));

/** The learning rate of a tfjs optimizer, when it has a plain numeric one. */
export const learningRateOf = (optimizer: tf.Optimizer): number | null =>
  typeof (optimizer as any).learningRate === 'number' ? (optimizer as any).learningRate : null;

/**
 * An optimizer that clips gradients, then hands them to the optimizer it
 * wraps. tfjs has no gradient clipping; LayersModel.fit, fitDataset and
 * trainOnBatch all end in optimizer.applyGradients, so wrapping there sees
 * every gradient. Norms are computed once per step with a single download.
 */
export class ClippingOptimizer extends tf.Optimizer {
  static className = 'ClippingOptimizer';
  /**
   * tf.Optimizer answers instanceof by duck typing (any object with minimize,
   * computeGradients and applyGradients), and subclasses inherit that: every
   * optimizer would pass `instanceof ClippingOptimizer`. Check the brand.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as { [CLIPPING]?: boolean })[CLIPPING] === true;
  }
  private readonly [CLIPPING] = true;
  readonly inner: tf.Optimizer;
  readonly mode: ClipMode | null;
  /** The configured threshold; null for autoClip, whose threshold moves (see each step's report). */
  readonly threshold: number | null;
  /** autoClip's norm history; null in the other modes. */
  private readonly autoClip: AutoClipHistory | null;
  /** The report of the most recent step, or null before the first. */
  lastReport: ClipReport | null = null;
  private readonly listeners = new Set<ClipListener>();

  constructor(inner: tf.Optimizer, options: ClippingOptions = {}) {
    super();
    if (!(inner instanceof tf.Optimizer)) {
      throw new Error(`withClipping: the first argument must be a tfjs optimizer such as tf.train.adam(1e-3), got ${String(inner)}`);
    }
    const { mode, threshold, autoClip } = checkOptions(options);
    this.inner = inner;
    this.mode = mode;
    this.threshold = threshold;
    this.autoClip = autoClip;
  }

  /** Calls `listener` after every step; returns a function that unsubscribes. */
  onStep(listener: ClipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const present = namedGradients(variableGradients);
    const norms = gradientNorms(present.map((g) => g.tensor));
    const perTensor: Record<string, number> = {};
    present.forEach((g, i) => (perTensor[g.name] = norms[i]!));
    const globalBefore = globalNorm(norms);
    const clipped: ClipReport['clipped'] = [];
    let scales: number[] = present.map(() => 1);
    let clampFractions: number[] | null = null;
    const threshold = this.autoClip ? this.autoClip.observe(globalBefore) : this.threshold;

    // A zero percentile (most steps had no gradient at all) would zero every
    // later update; clipping needs a positive threshold to scale towards.
    if (this.mode === 'autoClip' && threshold !== null && threshold > 0 && globalBefore > threshold) {
      const s = threshold / globalBefore;
      scales = present.map(() => s);
    } else if (this.mode === 'clipNorm') {
      scales = present.map((_, i) => (norms[i]! > this.threshold! ? this.threshold! / norms[i]! : 1));
    } else if (this.mode === 'globalClipNorm' && globalBefore > this.threshold!) {
      const s = this.threshold! / globalBefore;
      scales = present.map(() => s);
    } else if (this.mode === 'clipValue') {
      const v = this.threshold!;
      clampFractions = present.length
        ? Array.from(tf.tidy(() => tf.stack(present.map((g) => tf.mean(tf.cast(tf.greater(tf.abs(g.tensor), v), 'float32')))).dataSync()))
        : [];
    }
    const outgoing = tf.tidy(() =>
      present.map((g, i) => {
        if (clampFractions) return { name: g.name, tensor: tf.clipByValue(g.tensor, -this.threshold!, this.threshold!) };
        return { name: g.name, tensor: scales[i] === 1 ? tf.clone(g.tensor) : tf.mul(g.tensor, scales[i]!) };
      }),
    );
    let globalAfter = globalBefore;
    present.forEach((g, i) => {
      if (clampFractions) {
        if (clampFractions[i]! > 0) clipped.push({ variable: g.name, normBefore: norms[i]!, factor: clampFractions[i]! });
      } else if (scales[i] !== 1) {
        clipped.push({ variable: g.name, normBefore: norms[i]!, factor: scales[i]! });
      }
    });
    if (clampFractions) {
      globalAfter = Math.sqrt(tf.tidy(() => tf.addN(outgoing.map((g) => tf.sum(tf.square(g.tensor)))).dataSync()[0]!));
    } else {
      globalAfter = globalNorm(norms, scales);
    }
    const report: ClipReport = {
      iteration: this.inner.iterations,
      norms: perTensor,
      globalNormBefore: globalBefore,
      globalNormAfter: globalAfter,
      mode: this.mode,
      threshold,
      clipped,
      learningRate: learningRateOf(this.inner),
    };
    try {
      this.inner.applyGradients(outgoing);
    } finally {
      tf.dispose(outgoing.map((g) => g.tensor));
    }
    this.lastReport = report;
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch (err) {
        // A listener (a monitor) must never break the training step.
        console.warn(`gradscope: a clipping listener failed: ${(err as Error).message}`);
      }
    }
  }

  override get iterations(): number {
    return this.inner.iterations;
  }
  override dispose(): void {
    this.inner.dispose();
  }
  override getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }
  override setWeights(weightValues: NamedTensor[]): Promise<void> {
    return this.inner.setWeights(weightValues);
  }
  override getConfig(): tf.serialization.ConfigDict {
    const auto = this.autoClip ? { percentile: this.autoClip.percentile, history: this.autoClip.history === Infinity ? null : this.autoClip.history } : null;
    return { inner: this.inner.getConfig(), innerClass: this.inner.getClassName(), clipMode: this.mode, threshold: this.threshold, autoClip: auto };
  }
}

/**
 * Wraps a tfjs optimizer so that gradients are clipped (or only measured)
 * before each update, and every step's norms and clip events reach the
 * gradscope monitor of the model:
 *
 *   model.compile({ optimizer: withClipping(tf.train.adam(1e-3), { globalClipNorm: 1 }), loss: 'mse' })
 *   withClipping(tf.train.adam(1e-3), { autoClip: { percentile: 10 } })   // no threshold to choose
 */
export function withClipping(optimizer: tf.Optimizer, options: ClippingOptions = {}): ClippingOptimizer {
  return new ClippingOptimizer(optimizer, options);
}
