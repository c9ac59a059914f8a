import { topEigenvalue } from './tridiagonal.js';

/**
 * ‖A‖₂ of one small dense m×n matrix on the host, in float64: the square root
 * of the top eigenvalue of the Gram matrix AᵀA, reduced to tridiagonal form by
 * Householder reflections and solved by Sturm bisection (tridiagonal.ts).
 *
 * Why not spectralNorm: that is a Lanczos on the device, built for batches of
 * maps. For one recurrent kernel (n = 128) it pays tens of small kernels per
 * step and a download per check, and on an orthogonal kernel (tfjs's default
 * initialiser: every singular value 1) it breaks down at every step and runs
 * all 32. Here the cost is ~3n³ flops in JS (a few ms at n = 128) whatever the
 * spectrum, and the result is exact to float64 rounding of AᵀA: a relative
 * error of a few 1e-16 · (σ_max/σ_max)², i.e. ulps of σ_max.
 *
 * Entries are read row-major; a non-finite entry gives NaN.
 */
export function denseSpectralNorm(a: ArrayLike<number>, rows: number, cols: number): number {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || a.length !== rows * cols) {
    throw new Error(`denseSpectralNorm: expected ${rows}×${cols} = ${rows * cols} entries for a ${rows}×${cols} matrix, got ${a.length}`);
  }
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] as number);
    if (!Number.isFinite(x)) return NaN;
    if (x > maxAbs) maxAbs = x;
  }
  if (maxAbs === 0) return 0;
  // Scaled by the largest entry, so AᵀA neither overflows nor underflows.
  const n = cols;
  const g = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) row[c] = (a[r * n + c] as number) / maxAbs;
    for (let i = 0; i < n; i++) {
      const x = row[i] as number;
      if (x === 0) continue;
      const gi = i * n;
      for (let j = i; j < n; j++) g[gi + j]! += x * (row[j] as number);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i] as number;
  const { d, e } = tridiagonalise(g, n);
  return maxAbs * Math.sqrt(Math.max(0, topEigenvalue(d, e, n)));
}

/**
 * Householder reduction of a symmetric n×n matrix (row-major, overwritten) to
 * tridiagonal form with the same eigenvalues: diagonal d, off-diagonal e.
 */
function tridiagonalise(g: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Reflect rows/columns k+1..n-1 so that column k below the subdiagonal vanishes.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += (g[i * n + k] as number) ** 2;
    const x0 = g[(k + 1) * n + k] as number;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    e[k] = alpha;
    d[k] = g[k * n + k] as number;
    // v = x − αe₁ (over indices k+1..), H = I − 2vvᵀ/vᵀv.
    let vv = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = (g[i * n + k] as number) - (i === k + 1 ? alpha : 0);
      vv += (v[i] as number) ** 2;
    }
    if (vv === 0) continue; // already reduced
    const scale = 2 / vv;
    // p = scale·G v, K = scale/2 · vᵀp, q = p − K v; G ← G − v qᵀ − q vᵀ (trailing block).
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const gi = i * n;
      for (let j = k + 1; j < n; j++) s += (g[gi + j] as number) * (v[j] as number);
      p[i] = scale * s;
      vp += (v[i] as number) * (p[i] as number);
    }
    const half = (scale / 2) * vp;
    for (let i = k + 1; i < n; i++) p[i] = (p[i] as number) - half * (v[i] as number);
    for (let i = k + 1; i < n; i++) {
      const gi = i * n;
      const vi = v[i] as number;
      const pi = p[i] as number;
      for (let j = k + 1; j < n; j++) g[gi + j] = (g[gi + j] as number) - vi * (p[j] as number) - pi * (v[j] as number);
    }
  }
  if (n >= 2) {
    d[n - 2] = g[(n - 2) * n + (n - 2)] as number;
    e[n - 2] = g[(n - 1) * n + (n - 2)] as number;
  }
  d[n - 1] = g[(n - 1) * n + (n - 1)] as number;
  return { d, e };
}
