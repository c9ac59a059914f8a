import * as tf from '@tensorflow/tfjs-core';

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
 * log space. The last power's 2-norm comes from a float64 power iteration in
 * JS: A^(2^m) is either close to rank one (one dominant |λ|) or, for normal
 * A with several |λ| = ρ, has equal top singular values, and power iteration
 * settles within a few steps in both cases.
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

/**
 * ‖P‖₂ of a row-major n×n matrix by 30 float64 power-iteration steps on PᵀP.
 *
 * Each step is w = Pᵀ(P v) row by row: the dot products of rows r and r + 1
 * with v run in one loop (two independent chains of additions, where one
 * alone waits on the adder), then both rows are added into w in row order.
 * Every sum is formed in the order of the plain two-loop form (P v first,
 * then w += P_r·(P v)_r for r = 0, 1, …), so the result is bitwise the same,
 * in about half the time (n = 128: 30 steps of 2n² multiply-adds).
 */
function twoNorm(p: ArrayLike<number>, n: number): number {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + i / n; // not orthogonal to anything in particular
  const w = new Float64Array(n);
  let sigma = 0;
  for (let it = 0; it < 30; it++) {
    w.fill(0);
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
      for (let c = 0; c < n; c++) w[c] = w[c]! + p[a + c]! * sa + p[b + c]! * sb;
    }
    if (r < n) {
      const a = r * n;
      let sa = 0;
      for (let c = 0; c < n; c++) sa += p[a + c]! * v[c]!;
      for (let c = 0; c < n; c++) w[c] = w[c]! + p[a + c]! * sa;
    }
    const norm = Math.hypot(...w);
    sigma = Math.sqrt(norm);
    if (norm === 0) return 0;
    for (let i = 0; i < n; i++) v[i] = w[i]! / norm;
  }
  return sigma;
}
