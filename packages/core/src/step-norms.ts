/**
 * stepNorms: ‖J_t‖₂ of every step of a sequence by one batched Lanczos, with
 * the running log bound Σ ln‖J_u‖₂ and β = max‖J_t‖₂ it gives for free.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { JacobianSequence } from './operator.js';
import { checkSequence } from './propagate.js';
import { spectralNorm, spectralNormWithWarmVector } from './spectral-norm.js';
import { checkKnownKeys } from './validate.js';

/** Options of stepNorms: the Lanczos settings, and warm starts in and out. */
export interface StepNormOptions {
  iterations?: number;
  tolerance?: number;
  seed?: number;
  /** Whether `start` is a warm start (default true; see spectralNorm's `warm`). */
  warm?: boolean;
  /** Warm start [S·T, 1, n] (index s·T + t), e.g. `vectors` of the previous call on slightly different maps. */
  start?: tf.Tensor3D;
  /** Also return approximate top right-singular vectors of every J_t as `vectors` [S·T, 1, n] (the caller disposes). */
  vectors?: boolean;
}

/**
 * ‖J_t‖₂ for every sample and step as one batched Lanczos over seq.all()
 * (S·T maps, index s·T + t), and the cumulative log bound and maximum.
 */
export async function stepNorms(
  seq: JacobianSequence,
  options: StepNormOptions = {},
): Promise<{ stepNorm: number[][]; logBound: number[][]; beta: number[]; vectors?: tf.Tensor3D }> {
  checkSequence('stepNorms', seq);
  checkKnownKeys('stepNorms', options, ['iterations', 'tolerance', 'seed', 'warm', 'start', 'vectors']);
  const { samples, steps } = seq;
  const { vectors: wantVectors, ...lanczos } = options;
  let flat: number[];
  let vectors: tf.Tensor3D | undefined;
  if (wantVectors) {
    ({ norms: flat, vectors } = await spectralNormWithWarmVector(seq.all(), lanczos));
  } else {
    flat = await spectralNorm(seq.all(), lanczos);
  }
  if (flat.length !== samples * steps) {
    vectors?.dispose();
    throw new Error(`stepNorms: sequence.all() has batch ${flat.length}, expected samples·steps = ${samples * steps}`);
  }
  const stepNorm = Array.from({ length: samples }, (_, s) => flat.slice(s * steps, (s + 1) * steps));
  const logBound = stepNorm.map((norms) => {
    let sum = 0;
    return norms.map((x) => (sum += Math.log(x)));
  });
  // Math.max propagates NaN: a NaN step makes β NaN rather than being skipped.
  const beta = stepNorm.map((norms) => Math.max(...norms));
  return vectors ? { stepNorm, logBound, beta, vectors } : { stepNorm, logBound, beta };
}

