/**
 * denseSpectralNorm's Gram matrix and Householder tridiagonalisation
 * (dense-spectral-norm.ts, householder.ts) in WebAssembly
 * (householder-kernel.wat): the same reduction, about four times faster,
 * its tridiagonal equal to the JavaScript one's to rounding, not bit for bit.
 * null where the kernel cannot run (wasm-kernel.ts): the caller's
 * JavaScript path serves.
 */
import { HOUSEHOLDER_KERNEL_BASE64 } from './householder-kernel-bytes.js';
import { align8, reserve, wasmKernel, type KernelExports } from './wasm-kernel.js';

interface HouseholderKernel extends KernelExports {
  gram(a: number, rows: number, n: number, scale: number, g: number, x: number): void;
  tridiagonalise(g: number, n: number, d: number, e: number, v: number, p: number): void;
}

/**
 * The tridiagonal (d, e[0..n−2]) similar to (A/scale)ᵀ(A/scale), A the
 * row-major rows×n matrix `a` with finite entries; null where the kernel
 * cannot run or its memory cannot hold the matrix.
 */
export function gramTridiagonal(a: Float32Array, rows: number, n: number, scale: number): { d: Float64Array; e: Float64Array } | null {
  const wasm = wasmKernel<HouseholderKernel>(HOUSEHOLDER_KERNEL_BASE64);
  if (!wasm) return null;
  // Layout: a (float32), then g, d, e and three scratch rows (float64).
  const gAt = align8(rows * n * 4);
  const dAt = gAt + n * n * 8;
  const eAt = dAt + n * 8;
  const xAt = eAt + n * 8;
  const vAt = xAt + n * 8;
  const pAt = vAt + n * 8;
  if (!reserve(wasm.memory, pAt + n * 8)) return null;
  new Float32Array(wasm.memory.buffer, 0, rows * n).set(a);
  wasm.gram(0, rows, n, scale, gAt, xAt);
  wasm.tridiagonalise(gAt, n, dAt, eAt, vAt, pAt);
  return { d: new Float64Array(wasm.memory.buffer.slice(dAt, dAt + n * 8)), e: new Float64Array(wasm.memory.buffer.slice(eAt, eAt + n * 8)) };
}
