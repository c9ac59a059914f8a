/**
 * The propagation's per-step QR in WebAssembly (qr-kernel.wat), with qr.ts's
 * qrRows as the fallback: factorBlocks gives qrRows's Q and R to rounding
 * (~1e-14; the sums run in another order), about five times faster.
 *
 * The kernel is used where it can be: a WebAssembly with SIMD (Node 20,
 * Chrome 91, Firefox 89, Safari 16.4), a page whose Content-Security-Policy
 * lets it compile ('wasm-unsafe-eval', as tfjs's wasm backend needs), float32
 * rows (what a step's apply downloads), and n a multiple of 4. Everywhere else,
 * and for a block where a residual vanishes or is not finite (a direction J
 * annihilated, a NaN: qrRows draws a fresh direction or propagates the NaN),
 * qrRows factors the block, so the results are what qrRows gives.
 *
 * One instance per thread (a worker has its own), compiled at first use
 * from the bytes inside this package (qr-kernel-bytes.ts, under 1 KB, so a
 * synchronous compile is allowed on a page's main thread too).
 */
import { QR_KERNEL_BASE64 } from './qr-kernel-bytes.js';
import { qrRows } from './qr.js';

interface Kernel {
  memory: WebAssembly.Memory;
  qr(y: number, q: number, r: number, w: number, samples: number, k: number, n: number): number;
}

/** undefined: not tried yet; null: unavailable here (no WebAssembly, no SIMD, or a policy that refuses it). */
let kernel: Kernel | null | undefined;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    const bytes = decode(QR_KERNEL_BASE64);
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
      kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernel;
    }
  } catch {
    // A CompileError from a Content-Security-Policy without 'wasm-unsafe-eval': qrRows serves.
  }
  return kernel;
}

/** Whether the WebAssembly kernel can run here (see above). For the tests and benchmarks. */
export function qrKernelAvailable(): boolean {
  return load() !== null;
}

/**
 * qrRows's factorisation of `samples` blocks of k rows of length n in y
 * (row-major [samples, k, n]) into q and r; through the WebAssembly kernel
 * where it can run (see above), else, or where the kernel gives a block
 * back, by qrRows with `fresh`. Returns which of the two factored it.
 */
export function factorBlocks(y: ArrayLike<number>, samples: number, k: number, n: number, q: Float64Array, r: Float64Array, fresh: () => number): 'kernel' | 'qrRows' {
  const wasm = y instanceof Float32Array && n % 4 === 0 && k <= n ? load() : null;
  if (wasm && runKernel(wasm, y as Float32Array, samples, k, n, q, r)) return 'kernel';
  qrRows(y, samples, k, n, q, r, fresh);
  return 'qrRows';
}

/** The kernel on the whole block; false (q and r unspecified) when it gave a sample back. */
function runKernel(wasm: Kernel, y: Float32Array, samples: number, k: number, n: number, q: Float64Array, r: Float64Array): boolean {
  const rows = samples * k * n;
  // Layout: y (float32), then q, r and the scratch row (float64, 8-byte aligned).
  const qAt = align8(rows * 4);
  const rAt = qAt + rows * 8;
  const wAt = rAt + samples * k * k * 8;
  const end = wAt + n * 8;
  const memory = wasm.memory;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  new Float32Array(memory.buffer, 0, rows).set(y);
  if (wasm.qr(0, qAt, rAt, wAt, samples, k, n) !== 0) return false;
  q.set(new Float64Array(memory.buffer, qAt, rows));
  r.set(new Float64Array(memory.buffer, rAt, samples * k * k));
  return true;
}

const align8 = (bytes: number) => Math.ceil(bytes / 8) * 8;
