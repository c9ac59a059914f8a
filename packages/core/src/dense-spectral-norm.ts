import { gramTridiagonal } from './householder-kernel.js';
import { tridiagonalise, tridiagonalWorkspace } from './householder.js';
import { topEigenvalue } from './tridiagonal.js';

/**
 * ‖A‖₂ of one small dense m×n matrix on the host, in float64: the square root
 * of the top eigenvalue of the Gram matrix AᵀA, reduced to tridiagonal form by
 * Householder reflections (householder.ts) and solved by Sturm bisection (tridiagonal.ts).
 * For float32 entries the Gram matrix and the reduction run in WebAssembly
 * where it can (householder-kernel.ts), in float64 too: ~4× faster at
 * n = 128, the same result to rounding.
 *
 * Why not spectralNorm: that is a Lanczos on the device, built for batches of
 * maps. For one recurrent kernel (n = 128) it pays tens of small kernels per
 * step and a download per check, and on an orthogonal kernel (tfjs's default
 * initialiser: every singular value 1) it breaks down at every step and runs
 * all 32. Here the cost is ~3n³ flops on the host whatever the spectrum
 * (at n = 128 ~1 ms in WebAssembly, ~4 ms in JS), and the result is exact
 * to float64 rounding of AᵀA: a relative error of a few 1e-16 ·
 * (σ_max/σ_max)², i.e. ulps of σ_max.
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
  // float32 entries (a kernel read from the device): the WebAssembly reduction, where it can run.
  const reduced = a instanceof Float32Array ? gramTridiagonal(a, rows, n, maxAbs) : null;
  if (reduced) return maxAbs * Math.sqrt(Math.max(0, topEigenvalue(reduced.d, reduced.e, n)));
  const g = gram(a, rows, n, maxAbs);
  const w = tridiagonalWorkspace(n);
  tridiagonalise(g, n, w);
  const { d, e } = w;
  return maxAbs * Math.sqrt(Math.max(0, topEigenvalue(d, e, n)));
}

/**
 * The upper triangle of (A/s)ᵀ(A/s), mirrored: G_ij = Σ_r x_ri x_rj summed
 * in row order r = 0, 1, …, skipping the terms of zero entries x_ri.
 *
 * Four rows of A per sweep over G: G_ij is loaded and stored once for four
 * terms, added left to right, (((G_ij + x₀ᵢx₀ⱼ) + x₁ᵢx₁ⱼ) + x₂ᵢx₂ⱼ) + x₃ᵢx₃ⱼ,
 * the order of four separate sweeps, so G is bitwise what a sweep per row
 * gives (where a row's entry x_i is 0 it goes the row-by-row way, so that
 * the same zero terms are skipped). About half the time at n = 128.
 */
function gram(a: ArrayLike<number>, rows: number, n: number, scale: number): Float64Array {
  const g = new Float64Array(n * n);
  const r0 = new Float64Array(n);
  const r1 = new Float64Array(n);
  const r2 = new Float64Array(n);
  const r3 = new Float64Array(n);
  const group = [r0, r1, r2, r3];
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    for (let c = 0; c < n; c++) {
      r0[c] = (a[r * n + c] as number) / scale;
      r1[c] = (a[(r + 1) * n + c] as number) / scale;
      r2[c] = (a[(r + 2) * n + c] as number) / scale;
      r3[c] = (a[(r + 3) * n + c] as number) / scale;
    }
    for (let i = 0; i < n; i++) {
      const x0 = r0[i] as number;
      const x1 = r1[i] as number;
      const x2 = r2[i] as number;
      const x3 = r3[i] as number;
      const gi = i * n;
      if (x0 !== 0 && x1 !== 0 && x2 !== 0 && x3 !== 0) {
        for (let j = i; j < n; j++) {
          g[gi + j] = (g[gi + j] as number) + x0 * (r0[j] as number) + x1 * (r1[j] as number) + x2 * (r2[j] as number) + x3 * (r3[j] as number);
        }
      } else {
        for (const row of group) addRowTerms(g, row, i, n);
      }
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < n; c++) r0[c] = (a[r * n + c] as number) / scale;
    for (let i = 0; i < n; i++) addRowTerms(g, r0, i, n);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i] as number;
  return g;
}

/** G_ij += x_i x_j for j ≥ i, unless x_i = 0. */
function addRowTerms(g: Float64Array, row: Float64Array, i: number, n: number): void {
  const x = row[i] as number;
  if (x === 0) return;
  const gi = i * n;
  for (let j = i; j < n; j++) g[gi + j] = (g[gi + j] as number) + x * (row[j] as number);
}
