/**
 * The WebAssembly kernels shipped inside this package (src/*.wat, compiled
 * into src/*-bytes.ts by scripts/compile-wat.mjs): instantiated at first
 * use, one instance per kernel per thread (a worker has its own), or null
 * where they cannot run — no WebAssembly, no SIMD (before Chrome 91,
 * Firefox 89, Safari 16.4), or a page whose Content-Security-Policy lacks
 * 'wasm-unsafe-eval' (which tfjs's wasm backend needs too). Every caller
 * keeps a JavaScript path for null. The modules are small (about 1 KB), so a
 * synchronous compile is allowed on a page's main thread too.
 */

/** What every kernel exports besides its functions: the memory its callers lay their arrays out in. */
export interface KernelExports {
  memory: WebAssembly.Memory;
}

const instances = new Map<string, KernelExports | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The instance of the kernel whose bytes are `base64`, or null where it cannot run (see above). */
export function wasmKernel<T extends KernelExports>(base64: string): T | null {
  if (!instances.has(base64)) {
    let instance: KernelExports | null = null;
    try {
      const bytes = decode(base64);
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
        instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports;
      }
    } catch {
      // A CompileError from a Content-Security-Policy without 'wasm-unsafe-eval': the JavaScript path serves.
    }
    instances.set(base64, instance);
  }
  return instances.get(base64) as T | null;
}

/**
 * Grows `memory` to at least `bytes`; false where it cannot grow that far
 * (a RangeError past the engine's limit, e.g. 4 GB), and the caller's
 * JavaScript path serves. It never shrinks: a kernel's memory is what its
 * largest call needed.
 */
export function reserve(memory: WebAssembly.Memory, bytes: number): boolean {
  if (memory.buffer.byteLength >= bytes) return true;
  try {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    return true;
  } catch {
    return false;
  }
}

/** `bytes` rounded up to a multiple of 8, where a float64 array may start. */
export const align8 = (bytes: number): number => Math.ceil(bytes / 8) * 8;
