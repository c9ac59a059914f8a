import * as tf from '@tensorflow/tfjs-core';
import { topEigenvalue } from './tridiagonal.js';

export interface SpectralRadiusOptions {
  /** Number of squarings m: ρ is read off A^(2^m). Default 10 (A^1024). */
  squarings?: number;
}

/**
 * The spectral radius ρ(A) = max |λ_i| of a square matrix (Pascanu et al.'s
 * ρ(W_hh)), by Gelfand's formula ρ(A) = lim ‖A^k‖^(1/k) with k = 2^m reached
 * by m squarings.
 *
 * Why not eigenvalues: a recurrent kernel is not symmetric, its dominant
 * eigenvalues often come in complex pairs (power iteration on A then never
 * settles), and a Hessenberg-QR in JS would cost O(n³) float64 work per call.
 * Squaring uses the backend's matMul. Each square is rescaled by its largest
 * entry (so 1.5^1024 does not overflow float32) and the scales are summed in
 * log space. The last power's 2-norm comes from a float64 Lanczos in JS
 * (twoNorm): A^(2^m) is close to a matrix of small rank r, one for a single
 * dominant λ and two for a complex pair, and a Krylov space of r + 1
 * vectors holds it.
 *
 * Accuracy: exact for normal matrices (‖A^k‖₂ = ρ^k); for a non-normal
 * A = V D V⁻¹ the error in ln ρ is at most ln κ(V)/2^m, and for a Jordan
 * block of size b about (b−1)·ln(2^m)/2^m (0.7% for b = 2, m = 10).
 *
 * @returns ρ(A) (0 for a nilpotent A, NaN if A has a non-finite entry)
 */
export function spectralRadius(a: tf.Tensor2D, options: SpectralRadiusOptions = {}): number {
  const m = options.squarings ?? 10;
  if (!Number.isInteger(m) || m < 1 || m > 30) {
    throw new Error(`spectralRadius: options.squarings must be an integer in [1, 30], got ${m}`);
  }
  const [rows, cols] = a.shape;
  if (rows !== cols) throw new Error(`spectralRadius: A must be square, got [${a.shape.join(', ')}]`);
  let logScale = 0;
  let power = tf.clone(a);
  try {
    for (let i = 0; i <= m; i++) {
      // Rescale so the largest entry is 1; remember ln(scale) × the power it multiplies.
      const maxAbs = tf.tidy(() => tf.max(tf.abs(power)).dataSync()[0]!);
      if (!Number.isFinite(maxAbs)) return NaN;
      if (maxAbs === 0) return 0;
      logScale += Math.log(maxAbs) / 2 ** i;
      const scaled = tf.div(power, maxAbs);
      power.dispose();
      if (i === m) {
        const entries = scaled.dataSync();
        scaled.dispose();
        return Math.exp(logScale + Math.log(twoNorm(entries, rows)) / 2 ** m);
      }
      power = tf.matMul(scaled, scaled);
      scaled.dispose();
    }
    return NaN; // unreachable
  } finally {
    power.dispose();
  }
}

/** Lanczos steps twoNorm takes at most. */
const NORM_STEPS = 30;
/**
 * twoNorm stops once a step raises σ² by at most this fraction: the top
 * Ritz value of a growing Krylov space never falls, and for a near-low-
 * rank A^(2^m) it is exact to rounding once the space holds the rank.
 */
const NORM_SETTLED = 1e-14;

/**
 * ‖P‖₂ of a row-major n×n matrix: √λ_max(PᵀP) by a float64 Lanczos with
 * full re-orthogonalisation until the top Ritz value settles, at most
 * NORM_STEPS steps.
 *
 * Why not power iteration, as before: for a complex pair of dominant
 * eigenvalues A^(2^m) has two singular values whose ratio r can be
 * anything in (0, 1) (the pair's eigenvectors need not be orthogonal), and
 * power iteration converges as r² per step, so it ran all its 30 steps on
 * most kernels (~2 ms at n = 128, a quarter of a SimpleRNN's kernel norms)
 * and could still end short of ‖P‖: 3.7% (3.7e-5 of ρ) on a 128×128
 * tf.randomNormal matrix (standard deviation 0.09, seed 3). Lanczos holds
 * a rank-two part exactly after three steps, whatever r. A kernel with many
 * eigenvalues of nearly equal modulus (near-orthogonal, early in training)
 * has no low-rank power: there the Lanczos runs to its cap, and ends far
 * closer than the power steps did. (Against ρ from a float64 eigensolver
 * the error on such matrices stays what Gelfand's formula leaves at
 * m = 10, 1e-4 to 1.3e-3, see Accuracy above; on a fresh orthogonal
 * kernel it fell from 5.9e-8 to 8.8e-10.)
 *
 * The start is P's longest row: P v ≠ 0 for it (its own entry of P v is
 * the row's length), where a fixed vector can be orthogonal to every row
 * (1 + i/n, the power iteration's start, is orthogonal to (1, −2, 1, 0, …),
 * and a P with such rows came out 0 or, from the Lanczos, NaN). It lies in
 * P's row space, spanned for A^(2^m) by the top singular directions: a
 * single dominant eigenvalue makes every row parallel to the top one.
 */
function twoNorm(p: ArrayLike<number>, n: number): number {
  const steps = Math.min(n, NORM_STEPS);
  const basis: Float64Array[] = [];
  const d = new Float64Array(steps);
  const e = new Float64Array(steps);
  let v = longestRow(p, n);
  let theta = 0;
  for (let j = 0; j < steps; j++) {
    basis.push(v);
    const { w, alpha } = gramTimes(p, n, v);
    d[j] = alpha;
    // Twice against every basis vector: w is then orthogonal to them to rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += (b[c] as number) * (w[c] as number);
        for (let c = 0; c < n; c++) w[c] = (w[c] as number) - dot * (b[c] as number);
      }
    }
    const previous = theta;
    theta = topEigenvalue(d, e, j + 1);
    if (!(theta > 0)) return theta === 0 ? 0 : NaN;
    const beta = normalise(w);
    // A settled Ritz value, or an invariant subspace (β ≈ 0: the Ritz values are eigenvalues).
    if ((j > 0 && theta - previous <= NORM_SETTLED * theta) || !(beta > NORM_SETTLED * theta)) break;
    e[j] = beta;
    v = w;
  }
  return Math.sqrt(theta);
}

/** P's longest row, as a unit vector (the first of equal lengths). */
function longestRow(p: ArrayLike<number>, n: number): Float64Array {
  let best = 0;
  let bestSquares = -1;
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let c = 0; c < n; c++) ss += (p[r * n + c] as number) ** 2;
    if (ss > bestSquares) [best, bestSquares] = [r, ss];
  }
  const v = Float64Array.from({ length: n }, (_, c) => p[best * n + c] as number);
  normalise(v);
  return v;
}

/** Scales v to unit length; returns its length before. */
function normalise(v: Float64Array): number {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += (v[i] as number) ** 2;
  const length = Math.sqrt(ss);
  if (length > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / length;
  return length;
}

/**
 * w = PᵀP v and α = ‖P v‖² (= vᵀPᵀP v, as a sum of squares: never
 * negative), row by row: the dot products of rows r and r + 1 with v run
 * in one loop (two independent chains of additions, where one alone waits
 * on the adder), then both rows are added into w in row order.
 */
function gramTimes(p: ArrayLike<number>, n: number, v: Float64Array): { w: Float64Array; alpha: number } {
  const w = new Float64Array(n);
  let alpha = 0;
  let r = 0;
  for (; r + 1 < n; r += 2) {
    const a = r * n;
    const b = a + n;
    let sa = 0;
    let sb = 0;
    for (let c = 0; c < n; c++) {
      const vc = v[c]!;
      sa += p[a + c]! * vc;
      sb += p[b + c]! * vc;
    }
    alpha += sa * sa + sb * sb;
    for (let c = 0; c < n; c++) w[c] = w[c]! + p[a + c]! * sa + p[b + c]! * sb;
  }
  if (r < n) {
    const a = r * n;
    let sa = 0;
    for (let c = 0; c < n; c++) sa += p[a + c]! * v[c]!;
    alpha += sa * sa;
    for (let c = 0; c < n; c++) w[c] = w[c]! + p[a + c]! * sa;
  }
  return { w, alpha };
}
