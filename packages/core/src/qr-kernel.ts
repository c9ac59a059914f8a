/**
 * The propagation's per-step QR in WebAssembly (qr-kernel.wat), with qr.ts's
 * qrRows as the fallback: factorBlocks gives qrRows's Q and R to rounding
 * (~1e-14; the sums run in another order), about five times faster.
 *
 * The kernel serves where it can run (wasm-kernel.ts), for float32 rows
 * (what a step's apply downloads) of n a multiple of 4, in arrays of
 * exactly the block's sizes. Everywhere else, and for a block where the
 * kernel's residual vanishes or is not finite (a zero row, a NaN: qrRows
 * draws a fresh direction or propagates the NaN), qrRows factors the block,
 * so the results are what qrRows gives. Rows that are exact multiples of
 * earlier ones are the exception: each way leaves a residual at rounding
 * level or exactly zero depending on its own order of sums, so one may give
 * R_ii ≈ 1e-16·‖y‖ and a direction of rounding noise where the other gives
 * R_ii = 0 and a fresh direction (float32 rows from a device product are
 * exactly dependent only in constructed cases).
 */
import { QR_KERNEL_BASE64 } from './qr-kernel-bytes.js';
import { qrRows } from './qr.js';
import { align8, reserve, wasmKernel, type KernelExports } from './wasm-kernel.js';

interface QrKernel extends KernelExports {
  qr(y: number, q: number, r: number, w: number, samples: number, k: number, n: number): number;
}

const kernel = () => wasmKernel<QrKernel>(QR_KERNEL_BASE64);

/** Whether the WebAssembly kernel can run here. For the tests and benchmarks. */
export function qrKernelAvailable(): boolean {
  return kernel() !== null;
}

/**
 * qrRows's factorisation of `samples` blocks of k rows of length n in y
 * (row-major [samples, k, n]) into q and r; through the WebAssembly kernel
 * where it can run (see above), else, or where the kernel gives a block
 * back, by qrRows with `fresh`. Returns which of the two factored it.
 */
export function factorBlocks(y: ArrayLike<number>, samples: number, k: number, n: number, q: Float64Array, r: Float64Array, fresh: () => number): 'kernel' | 'qrRows' {
  const sized = y.length === samples * k * n && q.length === y.length && r.length === samples * k * k;
  const wasm = y instanceof Float32Array && sized && n % 4 === 0 && k <= n ? kernel() : null;
  if (wasm && runKernel(wasm, y as Float32Array, samples, k, n, q, r)) return 'kernel';
  qrRows(y, samples, k, n, q, r, fresh);
  return 'qrRows';
}

/** The kernel on the whole block; false (q and r unspecified) when it gave a sample back or its memory could not grow. */
function runKernel(wasm: QrKernel, y: Float32Array, samples: number, k: number, n: number, q: Float64Array, r: Float64Array): boolean {
  const rows = samples * k * n;
  // Layout: y (float32), then q, r and the scratch row (float64).
  const qAt = align8(rows * 4);
  const rAt = qAt + rows * 8;
  const wAt = rAt + samples * k * k * 8;
  if (!reserve(wasm.memory, wAt + n * 8)) return false;
  new Float32Array(wasm.memory.buffer, 0, rows).set(y);
  if (wasm.qr(0, qAt, rAt, wAt, samples, k, n) !== 0) return false;
  q.set(new Float64Array(wasm.memory.buffer, qAt, rows));
  r.set(new Float64Array(wasm.memory.buffer, rAt, samples * k * k));
  return true;
}
