/**
 * Jacobian sequences with known products, as plain float32 data [S, T, n, n]
 * (row-major) plus their float64 references. Independent of the code under
 * test: the tests build the JacobianSequence themselves.
 */
import { gaussianMatrix, matmul64, normalSource, randomOrthogonal, toFloat32, topSingularValue } from './linalg64.js';

export interface SequenceData {
  samples: number;
  steps: number;
  n: number;
  /** Float32 entries, index ((s·T + t)·n + row)·n + col. */
  data: Float32Array;
}

export function matrixAt(seq: SequenceData, s: number, t: number): Float64Array {
  const nn = seq.n * seq.n;
  const offset = (s * seq.steps + t) * nn;
  return Float64Array.from(seq.data.subarray(offset, offset + nn));
}

/** Fills a sequence from a generator of float64 n×n matrices (rounded to float32 on storage). */
export function buildSequence(samples: number, steps: number, n: number, make: (s: number, t: number) => ArrayLike<number>): SequenceData {
  const data = new Float32Array(samples * steps * n * n);
  for (let s = 0; s < samples; s++) {
    for (let t = 0; t < steps; t++) data.set(make(s, t), (s * steps + t) * n * n);
  }
  return { samples, steps, n, data };
}

/** c·Q_{s,t} with an independent random orthogonal Q for every sample and step. */
export function scaledOrthogonalSequence(samples: number, steps: number, n: number, c: number, seed: number): SequenceData {
  const next = normalSource(seed);
  return buildSequence(samples, steps, n, () => randomOrthogonal(n, next).map((x) => c * x));
}

/** Independent Gaussian matrices with entries N(0, scale²). */
export function gaussianSequence(samples: number, steps: number, n: number, scale: number, seed: number): SequenceData {
  const next = normalSource(seed);
  return buildSequence(samples, steps, n, () => gaussianMatrix(n, n, next, scale));
}

/**
 * ln‖J_t ⋯ J_1‖₂ for t = 1..T of one sample, from the float64 product of the
 * float32-stored matrices and the Jacobi SVD. Only for modest T (no rescaling).
 */
export function exactLogProduct(seq: SequenceData, s: number): number[] {
  const { n } = seq;
  let p: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) p[i * n + i] = 1;
  const out: number[] = [];
  for (let t = 0; t < seq.steps; t++) {
    p = matmul64(matrixAt(seq, s, t), p, n, n, n);
    out.push(Math.log(topSingularValue(p, n, n)));
  }
  return out;
}

/** ‖J_t‖₂ of every step of one sample, by the Jacobi SVD. */
export function exactStepNorms(seq: SequenceData, s: number): number[] {
  return Array.from({ length: seq.steps }, (_, t) => topSingularValue(toFloat32(matrixAt(seq, s, t)), seq.n, seq.n));
}
