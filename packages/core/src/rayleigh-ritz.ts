/**
 * The top Ritz pair of a symmetric matrix A on the span of three vectors
 * [x, w, p], from their Grams: B = SᵀS and Â = SᵀAS, the twelve numbers
 * lobpcg-kernel.wat's `grams` writes per row (xx xw xp ww wp pp, x·Ax x·Aw
 * x·Ap w·Aw w·Ap p·Ap). The largest λ of Â c = λ B c and its c, in float64.
 *
 * How: each vector is scaled to unit length (a Jacobi scaling of B), then B
 * is factored B = L Lᵀ in the order x, w, p, leaving out a vector whose
 * part outside the earlier ones is below DEPENDENT of its length (w or p
 * at convergence: w → 0 as the residual does, p along x); the largest
 * eigenpair of L⁻¹ Â L⁻ᵀ (at most 3 × 3) comes in closed form: the
 * trigonometric solution of the characteristic cubic and an eigenvector
 * as the longest cross product of two rows of C − λI (for 2 × 2 the
 * quadratic). c = L⁻ᵀ y, scaled back.
 *
 * Why closed form: a measurement asks for one per map and iteration,
 * ~10,000 of them; Jacobi rotations took about 1 µs each in JavaScript,
 * this a fraction of that.
 */

/**
 * Below this share of its length left outside the vectors before it, a
 * vector is dependent and left out of the basis (the float32 Grams carry
 * about 1e-7 of relative rounding; the square of the share is compared).
 */
export const DEPENDENT = 1e-3;

/** What topRitzPair writes: λ and the coefficients c of x, w, p (0 for a vector left out). */
export interface RitzPair {
  lambda: number;
  coefficients: Float64Array;
}

const b = new Float64Array(9);
const a = new Float64Array(9);
const l = new Float64Array(9);
const li = new Float64Array(9);
const c = new Float64Array(9);
const scale = new Float64Array(3);
const kept = new Int32Array(3);
const y = new Float64Array(3);

/** The top Ritz pair from the Grams at g[at … at + 12]; into `out` (returned). A NaN Gram gives NaN. */
export function topRitzPair(g: ArrayLike<number>, at: number, out: RitzPair): RitzPair {
  b[0] = g[at] as number;
  b[1] = b[3] = g[at + 1] as number;
  b[2] = b[6] = g[at + 2] as number;
  b[4] = g[at + 3] as number;
  b[5] = b[7] = g[at + 4] as number;
  b[8] = g[at + 5] as number;
  a[0] = g[at + 6] as number;
  a[1] = a[3] = g[at + 7] as number;
  a[2] = a[6] = g[at + 8] as number;
  a[4] = g[at + 9] as number;
  a[5] = a[7] = g[at + 10] as number;
  a[8] = g[at + 11] as number;
  // A NaN anywhere: NaN, as the Lanczos's coefficients give it.
  for (let i = 0; i < 9; i++) {
    if (Number.isNaN(a[i] as number) || Number.isNaN(b[i] as number)) {
      out.lambda = NaN;
      out.coefficients.fill(NaN);
      return out;
    }
  }
  for (let i = 0; i < 3; i++) scale[i] = (b[4 * i] as number) > 0 ? 1 / Math.sqrt(b[4 * i] as number) : 0;
  if (scale[0] !== 0 && scale[1] !== 0 && scale[2] !== 0 && threeKept(out)) return out;
  // Cholesky of the scaled B over the vectors kept: row m of L is vector i's coordinates in the kept ones.
  let m = 0;
  for (let i = 0; i < 3; i++) {
    if (scale[i] === 0) continue;
    let outside = 1;
    for (let q = 0; q < m; q++) {
      const j = kept[q] as number;
      let v = (b[i * 3 + j] as number) * (scale[i] as number) * (scale[j] as number);
      for (let k = 0; k < q; k++) v -= (l[q * 3 + k] as number) * (l[m * 3 + k] as number);
      v /= l[q * 3 + q] as number;
      l[m * 3 + q] = v;
      outside -= v * v;
    }
    if (!(outside > DEPENDENT * DEPENDENT)) continue;
    l[m * 3 + m] = Math.sqrt(outside);
    kept[m] = i;
    m++;
  }
  // L⁻¹ (lower triangular), then C = L⁻¹ Â L⁻ᵀ over the kept vectors (Â scaled as B is).
  for (let i = 0; i < m; i++) {
    li[i * 3 + i] = 1 / (l[i * 3 + i] as number);
    for (let j = 0; j < i; j++) {
      let v = 0;
      for (let k = j; k < i; k++) v -= (l[i * 3 + k] as number) * (li[k * 3 + j] as number);
      li[i * 3 + j] = v / (l[i * 3 + i] as number);
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0;
      for (let p = 0; p <= i; p++) {
        const ki = kept[p] as number;
        for (let q = 0; q <= j; q++) {
          const kj = kept[q] as number;
          v += (li[i * 3 + p] as number) * (a[ki * 3 + kj] as number) * (scale[ki] as number) * (scale[kj] as number) * (li[j * 3 + q] as number);
        }
      }
      c[i * 3 + j] = c[j * 3 + i] = v;
    }
  }
  const lambda = topEigenpair(m);
  // c = L⁻ᵀ y, unscaled.
  out.coefficients.fill(0);
  for (let p = 0; p < m; p++) {
    let v = 0;
    for (let i = p; i < m; i++) v += (li[i * 3 + p] as number) * (y[i] as number);
    const k = kept[p] as number;
    out.coefficients[k] = v * (scale[k] as number);
  }
  out.lambda = lambda;
  return out;
}

/**
 * topRitzPair where all three vectors are kept (every iteration but the
 * first two and the dependent ones): the same Cholesky, L⁻¹, C and back
 * substitution, written out for 3 × 3. Why: a measurement asks for
 * ~10,000, and the general loops took 0.29 µs a call against 0.16 here
 * (800 rows of Grams, a microbenchmark).
 * False, with nothing written, where a vector is dependent.
 */
function threeKept(out: RitzPair): boolean {
  const s0 = scale[0] as number;
  const s1 = scale[1] as number;
  const s2 = scale[2] as number;
  const l10 = (b[1] as number) * s0 * s1;
  const outside1 = 1 - l10 * l10;
  if (!(outside1 > DEPENDENT * DEPENDENT)) return false;
  const l11 = Math.sqrt(outside1);
  const l20 = (b[2] as number) * s0 * s2;
  const l21 = ((b[5] as number) * s1 * s2 - l20 * l10) / l11;
  const outside2 = 1 - l20 * l20 - l21 * l21;
  if (!(outside2 > DEPENDENT * DEPENDENT)) return false;
  const l22 = Math.sqrt(outside2);
  // L⁻¹ = [[1], [i10, i11], [i20, i21, i22]].
  const i11 = 1 / l11;
  const i10 = -l10 * i11;
  const i22 = 1 / l22;
  const i21 = -l21 * i11 * i22;
  const i20 = -(l20 + l21 * i10) * i22;
  // Â scaled as B is.
  const a00 = (a[0] as number) * s0 * s0;
  const a01 = (a[1] as number) * s0 * s1;
  const a02 = (a[2] as number) * s0 * s2;
  const a11 = (a[4] as number) * s1 * s1;
  const a12 = (a[5] as number) * s1 * s2;
  const a22 = (a[8] as number) * s2 * s2;
  // M = L⁻¹ Â (rows), then C = M L⁻ᵀ.
  const m10 = i10 * a00 + i11 * a01;
  const m11 = i10 * a01 + i11 * a11;
  const m12 = i10 * a02 + i11 * a12;
  const m20 = i20 * a00 + i21 * a01 + i22 * a02;
  const m21 = i20 * a01 + i21 * a11 + i22 * a12;
  const m22 = i20 * a02 + i21 * a12 + i22 * a22;
  c[0] = a00;
  c[1] = c[3] = i10 * a00 + i11 * a01;
  c[2] = c[6] = i20 * a00 + i21 * a01 + i22 * a02;
  c[4] = m10 * i10 + m11 * i11;
  c[5] = c[7] = m10 * i20 + m11 * i21 + m12 * i22;
  c[8] = m20 * i20 + m21 * i21 + m22 * i22;
  const lambda = topEigenpair(3);
  const y0 = y[0] as number;
  const y1 = y[1] as number;
  const y2 = y[2] as number;
  // c = L⁻ᵀ y, unscaled.
  const k = out.coefficients;
  k[0] = (y0 + i10 * y1 + i20 * y2) * s0;
  k[1] = (i11 * y1 + i21 * y2) * s1;
  k[2] = i22 * y2 * s2;
  out.lambda = lambda;
  return true;
}

/** The largest eigenvalue of the symmetric m × m (m ≤ 3) top-left block of c, its unit eigenvector into y. */
function topEigenpair(m: number): number {
  y.fill(0);
  if (m === 1) {
    y[0] = 1;
    return c[0] as number;
  }
  if (m === 2) {
    const p = c[0] as number;
    const q = c[1] as number;
    const r = c[4] as number;
    const lambda = (p + r) / 2 + Math.hypot((p - r) / 2, q);
    // (q, λ − p) and (λ − r, q) both solve it; the longer is the accurate one.
    const nu = Math.hypot(q, lambda - p);
    const nv = Math.hypot(lambda - r, q);
    if (nu === 0 && nv === 0) y[p >= r ? 0 : 1] = 1;
    else if (nu >= nv) {
      y[0] = q / nu;
      y[1] = (lambda - p) / nu;
    } else {
      y[0] = (lambda - r) / nv;
      y[1] = q / nv;
    }
    return lambda;
  }
  const a00 = c[0] as number;
  const a01 = c[1] as number;
  const a02 = c[2] as number;
  const a11 = c[4] as number;
  const a12 = c[5] as number;
  const a22 = c[8] as number;
  const mean = (a00 + a11 + a22) / 3;
  const off = a01 * a01 + a02 * a02 + a12 * a12;
  const spread = Math.sqrt(((a00 - mean) ** 2 + (a11 - mean) ** 2 + (a22 - mean) ** 2 + 2 * off) / 6);
  if (!(spread > 0)) {
    y[0] = 1;
    return mean;
  }
  // C = mean·I + spread·K, K's eigenvalues 2cos(φ + 2πk/3) with cos 3φ = det(K)/2.
  const k00 = (a00 - mean) / spread;
  const k11 = (a11 - mean) / spread;
  const k22 = (a22 - mean) / spread;
  const k01 = a01 / spread;
  const k02 = a02 / spread;
  const k12 = a12 / spread;
  const det = k00 * (k11 * k22 - k12 * k12) - k01 * (k01 * k22 - k12 * k02) + k02 * (k01 * k12 - k11 * k02);
  const lambda = mean + 2 * spread * Math.cos(Math.acos(Math.min(1, Math.max(-1, det / 2))) / 3);
  // The eigenvector is orthogonal to every row of C − λI: the longest cross product of two rows.
  const r00 = a00 - lambda;
  const r11 = a11 - lambda;
  const r22 = a22 - lambda;
  best = -1;
  cross(r00, a01, a02, a01, r11, a12);
  cross(r00, a01, a02, a02, a12, r22);
  cross(a01, r11, a12, a02, a12, r22);
  if (best > 0) {
    const length = Math.sqrt(best);
    for (let i = 0; i < 3; i++) y[i] = (y[i] as number) / length;
  } else {
    // C = λI: every vector is an eigenvector.
    y.fill(0);
    y[0] = 1;
  }
  return lambda;
}

/** The longest cross product so far (its squared length), kept in y. */
let best = -1;
function cross(u0: number, u1: number, u2: number, v0: number, v1: number, v2: number): void {
  const x0 = u1 * v2 - u2 * v1;
  const x1 = u2 * v0 - u0 * v2;
  const x2 = u0 * v1 - u1 * v0;
  const length = x0 * x0 + x1 * x1 + x2 * x2;
  if (length > best) {
    best = length;
    y[0] = x0;
    y[1] = x1;
    y[2] = x2;
  }
}
