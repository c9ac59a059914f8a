import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gaussianMatrix, normalSource, topSingularValue } from './test-helpers/linalg64.js';
import { reserve } from './wasm-kernel.js';

describe('the WebAssembly kernels (src/*.wat)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('their bytes are what the .wat files compile to', () => {
    // Exits 1 when a src/*-bytes.ts is stale.
    execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/compile-wat.mjs', import.meta.url)), '--check'], { stdio: 'pipe' });
  });

  it('run in this Node (WebAssembly SIMD): the kernels\' tests reach them', async () => {
    const { qrKernelAvailable } = await import('./qr-kernel.js');
    const { gramTridiagonal } = await import('./householder-kernel.js');
    expect(qrKernelAvailable()).toBe(true);
    expect(gramTridiagonal(new Float32Array([3]), 1, 1, 3)).not.toBeNull();
  });

  it('reserve grows a memory to what a call needs, never shrinks it, and says false where it cannot grow', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 3 });
    expect(reserve(memory, 100)).toBe(true);
    expect(memory.buffer.byteLength).toBe(65536);
    expect(reserve(memory, 65536 * 2 + 1)).toBe(true);
    expect(memory.buffer.byteLength).toBe(65536 * 3);
    expect(reserve(memory, 10)).toBe(true);
    expect(memory.buffer.byteLength).toBe(65536 * 3);
    expect(reserve(memory, 65536 * 3 + 1)).toBe(false);
  });

  it('where WebAssembly may not compile (a Content-Security-Policy without wasm-unsafe-eval): the JavaScript paths, and no error', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', {
      validate: () => true,
      Module: function refused() {
        throw new Error("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source");
      },
    });
    const { factorBlocks, qrKernelAvailable } = await import('./qr-kernel.js');
    const { gramTridiagonal } = await import('./householder-kernel.js');
    const { denseSpectralNorm } = await import('./dense-spectral-norm.js');
    expect(qrKernelAvailable()).toBe(false);
    expect(gramTridiagonal(new Float32Array([3]), 1, 1, 3)).toBeNull();
    const y = Float32Array.from(gaussianMatrix(8, 8, normalSource(5)));
    expect(factorBlocks(y, 2, 4, 8, new Float64Array(64), new Float64Array(32), normalSource(1))).toBe('qrRows');
    const a = Float32Array.from(gaussianMatrix(16, 16, normalSource(6)));
    const exact = topSingularValue(a, 16, 16);
    expect(Math.abs(denseSpectralNorm(a, 16, 16) - exact) / exact).toBeLessThan(1e-12);
  });
});
