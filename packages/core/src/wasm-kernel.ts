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
const modules = new Map<string, WebAssembly.Module | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The compiled module of the kernel whose bytes are `base64`, or null where it cannot run (see above). */
function wasmModule(base64: string): WebAssembly.Module | null {
  if (!modules.has(base64)) {
    let module: WebAssembly.Module | null = null;
    try {
      const bytes = decode(base64);
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
    } catch {
      // A CompileError from a Content-Security-Policy without 'wasm-unsafe-eval': the JavaScript path serves.
    }
    modules.set(base64, module);
  }
  return modules.get(base64) as WebAssembly.Module | null;
}

/** A new instance of the kernel, with a memory of its own, or null where it cannot run (see above). */
function instantiate(base64: string): KernelExports | null {
  const module = wasmModule(base64);
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  } catch {
    return null;
  }
}

/** The instance of the kernel whose bytes are `base64`, shared by every call on this thread, or null where it cannot run (see above). */
export function wasmKernel<T extends KernelExports>(base64: string): T | null {
  if (!instances.has(base64)) instances.set(base64, instantiate(base64));
  return instances.get(base64) as T | null;
}

/** Instances lent by borrowKernel and given back, per kernel: their memory is grown and its pages touched already. */
const idle = new Map<string, KernelExports[]>();

/**
 * An instance of the kernel for one caller until it calls `release`, or
 * null where it cannot run: for a caller that keeps its arrays in the
 * kernel's memory across awaits, where another caller of a shared instance
 * could overwrite them. An instance given back is lent again (a fresh one's
 * memory costs its first writes' page faults: ~0.7 ms per 400 KB written
 * in a 3 MB memory, every run); two callers at once get two instances.
 */
export function borrowKernel<T extends KernelExports>(base64: string): { kernel: T; release(): void } | null {
  const spare = idle.get(base64)?.pop() ?? instantiate(base64);
  if (!spare) return null;
  let released = false;
  return {
    kernel: spare as T,
    release() {
      if (released) return;
      released = true;
      const list = idle.get(base64) ?? [];
      list.push(spare);
      idle.set(base64, list);
    },
  };
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
