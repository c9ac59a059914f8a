/**
 * The small symmetric tridiagonal eigenproblems that Lanczos leaves behind,
 * solved in float64 in JS. They are at most `iterations` × `iterations`
 * (32 by default), one per map in the batch, so plain O(m) scalar loops beat
 * any tensor round trip.
 *
 * A tridiagonal matrix is given by its diagonal d[0..m-1] and off-diagonal
 * e[0..m-2] (the first m entries of each array are used).
 */

const EPS = Number.EPSILON;
const SAFE_MIN = 2.2250738585072014e-308;
/** Relative bracket width at which topEigenvalueAbove stops (see there). */
const ABOVE_WIDTH = 1e-13;
/** The descent in topEigenvalueAbove (laguerreFromAbove): at most this many iterations before bisection takes over. */
const DESCENT_ITERATIONS = 12;

/** Smallest pivot allowed in the Sturm recurrence (LAPACK dstebz's pivmin). */
function pivotMin(e: ArrayLike<number>, m: number): number {
  let maxE2 = 1;
  for (let i = 0; i < m - 1; i++) maxE2 = Math.max(maxE2, (e[i] as number) ** 2);
  return SAFE_MIN * maxE2;
}

/**
 * Number of eigenvalues strictly below x (Sylvester's law of inertia on the
 * LDLᵀ factorisation of T − xI; the pivots are the Sturm sequence ratios).
 * A pivot that is exactly or nearly zero is replaced by −pivmin, as LAPACK
 * does, so the count stays well defined.
 */
export function sturmCount(d: ArrayLike<number>, e: ArrayLike<number>, m: number, x: number, pivmin: number): number {
  let count = 0;
  let q = (d[0] as number) - x;
  if (Math.abs(q) < pivmin) q = -pivmin;
  if (q < 0) count++;
  for (let i = 1; i < m; i++) {
    const off = e[i - 1] as number;
    q = (d[i] as number) - x - (off * off) / q;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) count++;
  }
  return count;
}

/**
 * The largest eigenvalue, by bisection on the Sturm count between the
 * Gershgorin bounds, to a relative accuracy of a few ulps. NaN if any entry is
 * not finite (an infinite entry has no meaningful eigenvalue either: the
 * callers turn it into a non-finite norm).
 */
export function topEigenvalue(d: ArrayLike<number>, e: ArrayLike<number>, m: number): number {
  if (m < 1) throw new Error(`topEigenvalue: the matrix must have at least one row, got m = ${m}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m; i++) {
    const di = d[i] as number;
    const radius = (i > 0 ? Math.abs(e[i - 1] as number) : 0) + (i < m - 1 ? Math.abs(e[i] as number) : 0);
    if (!Number.isFinite(di) || !Number.isFinite(radius)) return NaN;
    lo = Math.min(lo, di - radius);
    hi = Math.max(hi, di + radius);
  }
  if (m === 1) return d[0] as number;
  return bisectTop(d, e, m, lo, hi, pivotMin(e, m), 2 * EPS);
}

/**
 * The largest eigenvalue when a lower bound is known: the previous Ritz
 * value of a growing Lanczos tridiagonal (T_j is a leading principal
 * submatrix of T_m, so by interlacing λ_max(T_m) ≥ λ_max(T_j)). Without
 * one (`lower` NaN or ≤ 0) the largest diagonal entry serves: it is a
 * Rayleigh quotient, eᵢᵀ T eᵢ ≤ λ_max, and in a Lanczos tridiagonal the
 * largest α is typically within a few percent of λ_max. The bracket
 * starts at [lower, lower·(1 + 1e-6)] and widens by 2⁸ until a Sturm count
 * shows it holds λ_max; Laguerre's method then descends from the top of
 * the bracket (see laguerreFromAbove), with bisection to a relative `width`
 * as its fallback (default 1e-13 rather than 2ε: the Lanczos coefficients
 * carry float32 rounding, ~1e-7, and the convergence test compares values
 * 1e-6 apart). Replayed on the 5,785 calls of a fresh SimpleRNN n = 128,
 * T = 100 measurement (and 2,602 after 60 training steps): 3.3 (3.0)
 * Laguerre evaluations and 3.3 Sturm counts per call, 4.9 (1.6) ms in all,
 * where Newton's method took 5.4 evaluations and 5.8 counts, 6.9 (2.3) ms,
 * and Newton where a bound was known and ~55 counts of bisection from the
 * Gershgorin interval where none was (each map's first check, the product's
 * σ_max tracker) 8.8 (4.2) ms; all agree to 5e-14. A bound that is not one
 * (NaN, ≤ 0 with no positive diagonal entry, or above λ_max by rounding)
 * falls back to topEigenvalue.
 */
export function topEigenvalueAbove(d: ArrayLike<number>, e: ArrayLike<number>, m: number, lower: number, width = ABOVE_WIDTH): number {
  if (m < 2) return topEigenvalue(d, e, m);
  let hiBound = -Infinity;
  let diagonal = -Infinity;
  for (let i = 0; i < m; i++) {
    const radius = (i > 0 ? Math.abs(e[i - 1] as number) : 0) + (i < m - 1 ? Math.abs(e[i] as number) : 0);
    const di = d[i] as number;
    if (!Number.isFinite(di) || !Number.isFinite(radius)) return NaN;
    hiBound = Math.max(hiBound, di + radius);
    diagonal = Math.max(diagonal, di);
  }
  if (!(lower > 0) || !Number.isFinite(lower)) lower = diagonal;
  // No positive bound, or a Gershgorin bound past float64's range (λ_max may be ∞, which bisection gives).
  if (!(lower > 0) || !Number.isFinite(hiBound)) return topEigenvalue(d, e, m);
  const pivmin = pivotMin(e, m);
  // Some eigenvalue must lie at or above `lower` (count below it < m).
  if (sturmCount(d, e, m, lower, pivmin) === m) return topEigenvalue(d, e, m);
  // At least the smallest normal number: 1e-6 of a subnormal bound rounds to 0 and would never widen.
  let step = Math.max(1e-6 * lower, SAFE_MIN);
  let hi = lower + step;
  while (hi < hiBound && sturmCount(d, e, m, hi, pivmin) !== m) {
    step *= 256;
    hi = lower + step;
  }
  return laguerreFromAbove(d, e, m, lower, Math.min(hi, hiBound), pivmin, width);
}

/**
 * Laguerre's method on p(x) = det(T − xI) from an upper bound `hi` of
 * λ_max. Above the largest root of a polynomial whose roots are all real,
 * Laguerre's step x − m / (G + √((m − 1)(m H − G²))), with G = p'/p =
 * Σ 1/(x − λ_i) and H = Σ 1/(x − λ_i)², never passes the largest root and
 * is at least Newton's 1/G: it descends monotonically onto λ_max, cubically
 * onto a simple root, and in a cluster of eigenvalues (a fresh SimpleRNN's
 * top Ritz values) it takes the cluster's size into account where Newton
 * crawls linearly; onto an exactly repeated root (an unreduced Lanczos
 * tridiagonal has none, a split one can) only linearly, so the stop is
 * certified by a Sturm count rather than read from the step. G and H
 * come from the LDLᵀ pivots q_i of T − xI and their first and second
 * x-derivatives in one pass (about three Sturm counts' work): G = Σ q_i'/q_i,
 * H = Σ ((q_i'/q_i)² − q_i''/q_i). The same pass gives the Sturm count at
 * every iterate, which guards the method: an iterate that rounding put below
 * λ_max, a step that is not a number, or slow progress hands the bracket it
 * has narrowed to bisection.
 */
function laguerreFromAbove(d: ArrayLike<number>, e: ArrayLike<number>, m: number, lo: number, hi: number, pivmin: number, width: number): number {
  let x = hi;
  for (let iter = 0; iter < DESCENT_ITERATIONS; iter++) {
    let count = 0;
    let q = (d[0] as number) - x;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) count++;
    let dq = -1;
    let d2q = 0;
    let g = dq / q;
    let h = g * g;
    for (let i = 1; i < m; i++) {
      const off = e[i - 1] as number;
      const ratio = (off * off) / q;
      const scale = ratio / q; // e²/q², the old pivot's
      d2q = scale * (d2q - (2 * dq * dq) / q);
      dq = -1 + scale * dq;
      q = (d[i] as number) - x - ratio;
      if (Math.abs(q) < pivmin) q = -pivmin;
      if (q < 0) count++;
      const t = dq / q;
      g += t;
      h += t * t - d2q / q;
    }
    if (count !== m) {
      // Below λ_max, where exact arithmetic never goes: rounding put it there, typically by an ulp or so, so
      // one count at x·(1 + width) usually closes the bracket; else bisection between x and the last iterate.
      const top = x + width * Math.abs(x);
      if (top < hi && sturmCount(d, e, m, top, pivmin) === m) return x + (top - x) / 2;
      return bisectTop(d, e, m, Math.max(lo, x), hi, pivmin, width);
    }
    hi = x;
    const step = m / (g + Math.sqrt(Math.max(0, (m - 1) * (m * h - g * g))));
    if (!(step > 0) || !Number.isFinite(step)) break;
    const next = x - step;
    if (next <= lo) break;
    // A small step is no proof: onto a repeated λ_max Laguerre converges only linearly. One count certifies
    // that an eigenvalue lies within `width` below `next` (and none above it: the descent does not pass one).
    if (step <= width * x) {
      const bottom = next - width * Math.abs(next);
      if (bottom <= lo) return lo + (next - lo) / 2;
      if (sturmCount(d, e, m, bottom, pivmin) < m) return bottom + (next - bottom) / 2;
    }
    x = next;
  }
  return bisectTop(d, e, m, lo, hi, pivmin, width);
}

/** Bisection on the Sturm count for the largest eigenvalue in [lo, hi], to a few ulps. */
function bisectTop(d: ArrayLike<number>, e: ArrayLike<number>, m: number, lo: number, hi: number, pivmin: number, width0: number): number {
  // Each halving gains one bit; 2100 bits span every float64 range, and in
  // practice the relative stopping test ends the loop after ~55 steps.
  for (let iter = 0; iter < 2100; iter++) {
    const width = hi - lo;
    if (width <= width0 * Math.max(Math.abs(lo), Math.abs(hi)) + pivmin) break;
    const mid = lo + width / 2;
    if (mid <= lo || mid >= hi) break;
    if (sturmCount(d, e, m, mid, pivmin) === m) hi = mid;
    else lo = mid;
  }
  return lo + (hi - lo) / 2;
}

/**
 * A unit eigenvector for the eigenvalue `lambda` (typically from
 * topEigenvalue), by inverse iteration: three solves with T − λI, factorised
 * once by Gaussian elimination with partial pivoting (LAPACK dgttrf/dgttrs).
 * λ is accurate to a few ulps, so T − λI is nearly singular and each solve
 * multiplies the wanted component by ~1/ε relative to the others; a zero pivot
 * is replaced by ε‖T‖ (dstein's perturbation) so that exact singularity works
 * too. For a repeated eigenvalue the result is some unit vector of its
 * eigenspace, which is all any caller needs.
 */
/**
 * The factorisation's work arrays, kept between calls: a measurement asks
 * for one eigenvector per map (400–800 of them, m ≤ 64), and six fresh
 * typed arrays per call cost more than the solve. sup2 and swapped start at
 * zero (only pivoting rows write them).
 */
let scratch = { diag: new Float64Array(0), sub: new Float64Array(0), sup: new Float64Array(0), sup2: new Float64Array(0), swapped: new Uint8Array(0) };
function factorScratch(m: number): typeof scratch {
  if (scratch.diag.length < m) {
    scratch = { diag: new Float64Array(m), sub: new Float64Array(m), sup: new Float64Array(m), sup2: new Float64Array(m), swapped: new Uint8Array(m) };
  }
  scratch.sup2.fill(0, 0, m);
  scratch.swapped.fill(0, 0, m);
  return scratch;
}

export function tridiagonalEigenvector(
  d: ArrayLike<number>,
  e: ArrayLike<number>,
  m: number,
  lambda: number,
): Float64Array {
  const x = new Float64Array(m);
  if (!Number.isFinite(lambda)) return x.fill(NaN);
  if (m === 1) return x.fill(1);
  let norm = 0;
  for (let i = 0; i < m; i++) {
    norm = Math.max(norm, Math.abs(d[i] as number) + (i > 0 ? Math.abs(e[i - 1] as number) : 0) + (i < m - 1 ? Math.abs(e[i] as number) : 0));
  }
  const tiny = Math.max(EPS * norm, SAFE_MIN);

  // dgttrf on (T − λI): diag, sub (lower), sup (first upper), sup2 (second upper, from pivoting).
  const { diag, sub, sup, sup2, swapped } = factorScratch(m);
  for (let i = 0; i < m; i++) diag[i] = (d[i] as number) - lambda;
  for (let i = 0; i < m - 1; i++) {
    sub[i] = e[i] as number;
    sup[i] = e[i] as number;
  }
  for (let i = 0; i < m - 1; i++) {
    const di = diag[i] as number;
    const li = sub[i] as number;
    if (Math.abs(di) >= Math.abs(li)) {
      // No interchange; a zero column below a zero pivot needs no elimination.
      const fact = di !== 0 ? li / di : 0;
      sub[i] = fact;
      diag[i + 1] = (diag[i + 1] as number) - fact * (sup[i] as number);
    } else {
      const fact = di / li;
      diag[i] = li;
      sub[i] = fact;
      const temp = sup[i] as number;
      sup[i] = diag[i + 1] as number;
      diag[i + 1] = temp - fact * (diag[i + 1] as number);
      if (i < m - 2) {
        sup2[i] = sup[i + 1] as number;
        sup[i + 1] = -fact * (sup[i + 1] as number);
      }
      swapped[i] = 1;
    }
  }
  for (let i = 0; i < m; i++) {
    if (Math.abs(diag[i] as number) < tiny) diag[i] = (diag[i] as number) < 0 ? -tiny : tiny;
  }

  // Start from a fixed vector with no special structure (LAPACK uses a random one).
  for (let i = 0; i < m; i++) x[i] = 1 + 0.37 * Math.sin(1.3 * i + 0.5);
  for (let sweep = 0; sweep < 3; sweep++) {
    // Forward: apply L⁻¹ with the recorded row interchanges.
    for (let i = 0; i < m - 1; i++) {
      if (swapped[i]) {
        const temp = x[i] as number;
        x[i] = x[i + 1] as number;
        x[i + 1] = temp - (sub[i] as number) * (x[i] as number);
      } else {
        x[i + 1] = (x[i + 1] as number) - (sub[i] as number) * (x[i] as number);
      }
    }
    // Backward: U has two superdiagonals.
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i] as number;
      if (i < m - 1) s -= (sup[i] as number) * (x[i + 1] as number);
      if (i < m - 2) s -= (sup2[i] as number) * (x[i + 2] as number);
      x[i] = s / (diag[i] as number);
    }
    // Rescale by the largest entry first so the 2-norm cannot overflow.
    let big = 0;
    for (let i = 0; i < m; i++) big = Math.max(big, Math.abs(x[i] as number));
    if (!(big > 0) || !Number.isFinite(big)) return x.fill(NaN);
    let sq = 0;
    for (let i = 0; i < m; i++) {
      x[i] = (x[i] as number) / big;
      sq += (x[i] as number) ** 2;
    }
    const len = Math.sqrt(sq);
    for (let i = 0; i < m; i++) x[i] = (x[i] as number) / len;
  }
  return x;
}

/**
 * |x_m|, the last entry of the unit eigenvector x of T for the eigenvalue
 * `lambda`, without forming x: x_m² = χ_{m−1}(λ) / χ'_m(λ) (Paige), where
 * χ_j is the characteristic polynomial of T's leading j×j block. The LDLᵀ
 * pivots q_i of T − λI give both at once: χ_m/χ_{m−1} = q_m and
 * χ'_m/χ_m = Σ q_i'/q_i, so x_m² = 1 / |q_m' + q_m Σ_{i<m} q_i'/q_i|.
 * One pass over the pivots and their derivatives, as a Newton step (~0.1 µs
 * at m = 30), where inverse iteration (tridiagonalEigenvector) factorises
 * and solves three times: the Lanczos residual β_m |x_m| is wanted at every
 * check of every map. λ's rounding limits it to about 1e-8–5e-7 absolute
 * (λ from bisection is good to 1e-13): a converged map's 1e-18 reads as
 * that, plenty for a residual compared with 1e-4·λ. NaN if λ or an entry
 * is not finite.
 */
export function lastEigenvectorEntry(d: ArrayLike<number>, e: ArrayLike<number>, m: number, lambda: number): number {
  if (!Number.isFinite(lambda)) return NaN;
  if (m === 1) return 1;
  const pivmin = pivotMin(e, m);
  let q = (d[0] as number) - lambda;
  if (Math.abs(q) < pivmin) q = -pivmin;
  let dq = -1;
  // Σ_{i<m} q_i'/q_i; the last term enters as q_m·(q_m'/q_m) = q_m', which
  // stays finite where the last pivot rounds to 0 (clamped to −pivmin,
  // q_m'/q_m would overflow and read x_m as 0).
  let before = 0;
  for (let i = 1; i < m; i++) {
    before += dq / q;
    const off = e[i - 1] as number;
    const ratio = (off * off) / q;
    dq = -1 + (ratio / q) * dq;
    q = (d[i] as number) - lambda - ratio;
    if (Math.abs(q) < pivmin) q = -pivmin;
  }
  return Math.min(1, 1 / Math.sqrt(Math.abs(dq + q * before)));
}

/** The tridiagonal BᵀB of the j×j upper bidiagonal B = bidiag(α; β), in float64. */
export function bidiagonalGram(alpha: ArrayLike<number>, beta: ArrayLike<number>, j: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(j);
  const e = new Float64Array(Math.max(j - 1, 0));
  for (let i = 0; i < j; i++) {
    const a = alpha[i] as number;
    const b = i > 0 ? (beta[i - 1] as number) : 0;
    d[i] = a * a + b * b;
    if (i < j - 1) e[i] = a * (beta[i] as number);
  }
  return { d, e };
}

/**
 * σ_max of the bidiagonal: the square root of the top eigenvalue of BᵀB; NaN
 * if any coefficient is not finite. `lower`: σ_max of a leading block B_i
 * (i < j) of the same bidiagonal, e.g. the previous convergence check's
 * value, which makes the search cheaper (see topEigenvalueAbove).
 */
export function bidiagonalTopSingularValue(alpha: ArrayLike<number>, beta: ArrayLike<number>, j: number, lower = NaN): number {
  for (let i = 0; i < j; i++) {
    if (!Number.isFinite(alpha[i] as number) || (i < j - 1 && !Number.isFinite(beta[i] as number))) return NaN;
  }
  const { d, e } = bidiagonalGram(alpha, beta, j);
  return Math.sqrt(Math.max(0, topEigenvalueAbove(d, e, j, lower * lower)));
}
