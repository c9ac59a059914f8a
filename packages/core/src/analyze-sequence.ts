/**
 * analyzeSequence: everything measured on one Jacobian sequence — step norms,
 * the product against its bound, the Lyapunov spectrum — from one
 * propagation (propagate.ts) and one batched Lanczos (step-norms.ts).
 * productNorms is the same without the spectrum.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { JacobianSequence } from './operator.js';
import { checkSequence, PROPAGATE_KEYS, propagateProduct, type PropagateOptions } from './propagate.js';
import { stepNorms } from './step-norms.js';
import { checkKnownKeys, checkShape } from './validate.js';

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
  /** With `stepVectors: true`: approximate top right-singular vectors of every J_t [S·T, 1, n]; the caller disposes. */
  stepVectors?: tf.Tensor3D;
}

/** analyzeSequence's options: productNorms's, plus warm starts between measurements. */
export interface AnalyzeOptions extends ProductNormsOptions {
  /** Warm start [S·T, 1, n] for the per-step Lanczos, e.g. the previous measurement's `stepVectors`. */
  stepStart?: tf.Tensor3D;
  /** Whether `stepStart` is a warm start (default true) or a cold guess such as a cell's structural start (see spectralNorm's `warm`). */
  stepStartWarm?: boolean;
  /** Return `stepVectors` for the next measurement's `stepStart`. */
  stepVectors?: boolean;
}

/**
 * Step norms, product and bound plus the FTLE; the caller that wants all of
 * them pays for one propagation.
 *
 * The per-step Lanczos runs first, and its estimates of J_1's top
 * right-singular vectors (rows t = 0) open the propagation: the propagation
 * needs no Lanczos run of its own (lyapunovSpectrum and propagateProduct,
 * which have no per-step run, make one on the S maps J_1), so the exponents
 * agree with lyapunovSpectrum's to the Lanczos tolerance, not bitwise.
 *
 * Warm starts for repeated measurements of a slowly changing sequence (a
 * model measured every few training steps): `stepStart` [S·T, 1, n] starts
 * the per-step Lanczos from the previous measurement's vectors;
 * `stepVectors: true` returns this measurement's as `stepVectors` for the
 * next one. productNorms is this function without the exponents.
 */
export async function analyzeSequence(seq: JacobianSequence, options: AnalyzeOptions = {}): Promise<SequenceAnalysis> {
  checkSequence('analyzeSequence', seq);
  checkKnownKeys('analyzeSequence', options, [...PROPAGATE_KEYS, 'stepStart', 'stepStartWarm', 'stepVectors']);
  const { stepStart, stepStartWarm, stepVectors, ...propagateOptions } = options;
  const lanczos = {
    ...(options.iterations !== undefined ? { iterations: options.iterations } : {}),
    ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const { samples, steps, size } = seq;
  if (stepStart !== undefined) checkShape('analyzeSequence', 'option stepStart', stepStart.shape, [samples * steps, 1, size]);
  // The vectors are wanted for the next measurement, or for the propagation's first direction.
  const needVectors = stepVectors === true || options.start === undefined;
  const start = stepStart ? { start: stepStart, ...(stepStartWarm !== undefined ? { warm: stepStartWarm } : {}) } : {};
  const norms = await stepNorms(seq, { ...lanczos, ...start, ...(needVectors ? { vectors: true } : {}) });
  const all = norms.vectors;
  let propagation;
  try {
    const firstVector = all && tf.tidy(() => tf.reshape(tf.slice(tf.reshape(all, [samples, steps, size]), [0, 0, 0], [samples, 1, size]), [samples, 1, size]) as tf.Tensor3D);
    try {
      propagation = await propagateProduct(seq, propagateOptions, firstVector ? { firstVector } : {});
    } finally {
      firstVector?.dispose();
    }
  } catch (err) {
    all?.dispose();
    throw err;
  }
  const result: SequenceAnalysis = { k: propagation.k, stepNorm: norms.stepNorm, logBound: norms.logBound, logProduct: propagation.logProduct, beta: norms.beta, ftle: propagation.ftle };
  if (all && stepVectors) result.stepVectors = all;
  else all?.dispose();
  return result;
}

/** stepNorm, logBound, logProduct and beta per sample (see ProductNorms). */
export async function productNorms(seq: JacobianSequence, options: ProductNormsOptions = {}): Promise<ProductNorms> {
  const { ftle: _ftle, stepVectors, ...norms } = await analyzeSequence(seq, options);
  stepVectors?.dispose();
  return norms;
}
