import type { JacobianSequence } from './operator.js';
import { checkSequence, PROPAGATE_KEYS, propagateProduct, type PropagateOptions } from './propagate.js';
import { spectralNorm } from './spectral-norm.js';
import { checkKnownKeys } from './validate.js';

/**
 * The seed's product against its bound, per sample s and step t (t = 1..T at
 * index t−1), all in natural log so nothing overflows:
 *
 * | field      | value |
 * |------------|-------|
 * | stepNorm   | ‖J_t‖₂ |
 * | logBound   | Σ_{u≤t} ln‖J_u‖₂, the submultiplicative bound |
 * | logProduct | ln‖J_t⋯J_1‖₂ (exact for k = n; for k < n a lower bound, see propagate.ts) |
 * | beta       | max_t ‖J_t‖₂ per sample: T·ln β is the seed's β^T line |
 *
 * logBound[t] ≥ logProduct[t] always (up to float32 rounding, ~1e-6); the
 * gap is how loose the bound is. A zero Jacobian gives stepNorm 0 and
 * logBound = logProduct = −∞ from that step on; NaN or ∞ entries give NaN.
 *
 * Options: those of propagateProduct (k, seed, start) and of the Lanczos
 * runs (iterations, tolerance), with the same defaults.
 */
export interface ProductNorms {
  /** Directions propagated (k = n: logProduct is exact). */
  k: number;
  stepNorm: number[][];
  logBound: number[][];
  logProduct: number[][];
  beta: number[];
}

export type ProductNormsOptions = PropagateOptions;

/** Everything productNorms gives plus the finite-time Lyapunov spectrum, from one propagation. */
export interface SequenceAnalysis extends ProductNorms {
  /** Top-k finite-time Lyapunov exponents per sample [S][k], natural log per step, descending. */
  ftle: number[][];
}

/**
 * ‖J_t‖₂ for every sample and step as one batched Lanczos over seq.all()
 * (S·T maps, index s·T + t), and the cumulative log bound and maximum.
 */
export async function stepNorms(
  seq: JacobianSequence,
  options: { iterations?: number; tolerance?: number; seed?: number } = {},
): Promise<{ stepNorm: number[][]; logBound: number[][]; beta: number[] }> {
  checkSequence('stepNorms', seq);
  const { samples, steps } = seq;
  const flat = await spectralNorm(seq.all(), options);
  if (flat.length !== samples * steps) {
    throw new Error(`stepNorms: sequence.all() has batch ${flat.length}, expected samples·steps = ${samples * steps}`);
  }
  const stepNorm = Array.from({ length: samples }, (_, s) => flat.slice(s * steps, (s + 1) * steps));
  const logBound = stepNorm.map((norms) => {
    let sum = 0;
    return norms.map((x) => (sum += Math.log(x)));
  });
  // Math.max propagates NaN: a NaN step makes β NaN rather than being skipped.
  const beta = stepNorm.map((norms) => Math.max(...norms));
  return { stepNorm, logBound, beta };
}

/** Step norms, product and bound plus the FTLE; the caller that wants all of them pays for one propagation. */
export async function analyzeSequence(seq: JacobianSequence, options: ProductNormsOptions = {}): Promise<SequenceAnalysis> {
  checkSequence('analyzeSequence', seq);
  checkKnownKeys('analyzeSequence', options, PROPAGATE_KEYS);
  const lanczos = {
    ...(options.iterations !== undefined ? { iterations: options.iterations } : {}),
    ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const propagation = await propagateProduct(seq, options);
  const { stepNorm, logBound, beta } = await stepNorms(seq, lanczos);
  return { k: propagation.k, stepNorm, logBound, logProduct: propagation.logProduct, beta, ftle: propagation.ftle };
}

/** stepNorm, logBound, logProduct and beta per sample (see ProductNorms). */
export async function productNorms(seq: JacobianSequence, options: ProductNormsOptions = {}): Promise<ProductNorms> {
  const { ftle: _ftle, ...norms } = await analyzeSequence(seq, options);
  return norms;
}
