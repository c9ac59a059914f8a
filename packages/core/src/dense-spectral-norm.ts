import { tridiagonalise, tridiagonalWorkspace } from './householder.js';
import { topEigenvalue } from './tridiagonal.js';

/**
 * ‖A‖₂ of one small dense m×n matrix on the host, in float64: the square root
 * of the top eigenvalue of the Gram matrix AᵀA, reduced to tridiagonal form by
 * Householder reflections (householder.ts) and solved by Sturm bisection (tridiagonal.ts).
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
  const w = tridiagonalWorkspace(n);
  tridiagonalise(g, n, w);
  const { d, e } = w;
  return maxAbs * Math.sqrt(Math.max(0, topEigenvalue(d, e, n)));
}
