/**
 * Thin QR of a block of k row vectors of length n, in float64, for the
 * Benettin propagation: rows y_i of Y are columns of the n×k matrix
 * [y_1 … y_k] = [q_1 … q_k] R with orthonormal q_i and upper-triangular R,
 * R_ii ≥ 0. Work is O(k²n) per block, far below the apply that produced Y.
 *
 * Gram–Schmidt is repeated while a pass still removes more than ~30% of the
 * vector (Kahan's "twice is enough" test), so the q_i are orthonormal to
 * machine precision even when columns are nearly dependent.
 *
 * An exactly zero residual (J annihilated the direction, e.g. J = 0) keeps
 * R_ii = 0, so ln R_ii = −∞ downstream, and the direction is replaced by a
 * fresh random vector orthogonal to the others: the block must stay a basis
 * of k directions for the next step, and 0/0 would otherwise put NaN into
 * it. NaN or ±∞ in Y propagate as NaN into Q and R (never turned into 0).
 */
import { euclidean, loadRow, orthogonaliseAgainst } from './gram-schmidt.js';
import { qrPair } from './qr-pair.js';

/**
 * QR of `samples` blocks stored contiguously in y ([samples, k, n], row-major).
 * Writes q (same layout) and r ([samples, k, k], row-major, upper triangular).
 * `fresh` supplies standard-normal numbers for replacement directions.
 *
 * Samples go two at a time through qrPair (qr-pair.ts), which gives the
 * same Q and R bit for bit, faster; an odd last sample, and a pair in which
 * a residual vanished, go one at a time.
 */
export function qrRows(
  y: ArrayLike<number>,
  samples: number,
  k: number,
  n: number,
  q: Float64Array,
  r: Float64Array,
  fresh: () => number,
): void {
  if (k > n) throw new Error(`qrRows: need k <= n for k orthonormal rows, got k = ${k}, n = ${n}`);
  r.fill(0);
  const w = new Float64Array(n);
  const w2 = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    if (s + 1 < samples) {
      if (qrPair(y, s, k, n, q, r, w, w2)) {
        s++;
        continue;
      }
      // A vanished residual: this pair one sample at a time, so that fresh
      // directions are drawn in the same order as sample by sample.
      r.fill(0, s * k * k, (s + 2) * k * k);
    }
    qrBlock(y, s, k, n, q, r, fresh, w);
  }
}

/** The QR of sample s alone. */
function qrBlock(y: ArrayLike<number>, s: number, k: number, n: number, q: Float64Array, r: Float64Array, fresh: () => number, w: Float64Array): void {
  const block = s * k * n;
  const rBlock = s * k * k;
  for (let i = 0; i < k; i++) {
    const row = block + i * n;
    let norm = orthogonaliseAgainst(w, q, block, i, n, r, rBlock + i, k, loadRow(y, row, n, w));
    r[rBlock + i * k + i] = norm;
    if (norm === 0) {
      // Fresh direction; R_ii stays exactly 0. A Gaussian vector is
      // independent of i < n given rows with probability one.
      do {
        for (let c = 0; c < n; c++) w[c] = fresh();
        norm = orthogonaliseAgainst(w, q, block, i, n, undefined, 0, k, euclidean(w));
      } while (!(norm > 0));
    }
    for (let c = 0; c < n; c++) q[row + c] = (w[c] as number) / norm;
  }
}
