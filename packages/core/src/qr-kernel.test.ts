import { describe, expect, it } from 'vitest';
import { factorBlocks } from './qr-kernel.js';
import { qrRows } from './qr.js';
import { gaussianMatrix, normalSource } from './test-helpers/linalg64.js';
import { qrResiduals } from './test-helpers/qr-residuals.js';

/** [samples, k, n] float32 rows, Gaussian, each row after the first pulled toward the first by `lean` (nearly dependent rows for lean ≫ 1). */
function block(samples: number, k: number, n: number, seed: number, lean = 0): Float32Array {
  const y = Float32Array.from(gaussianMatrix(samples * k, n, normalSource(seed)));
  for (let s = 0; s < samples; s++) for (let i = 1; i < k; i++) for (let c = 0; c < n; c++) y[(s * k + i) * n + c]! += lean * y[s * k * n + c]!;
  return y;
}

/** qrResiduals with |Y − RᵀQ| relative to the largest |y|. */
function residuals(y: ArrayLike<number>, q: Float64Array, r: Float64Array, samples: number, k: number, n: number) {
  let scale = 0;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
  const found = qrResiduals(y, q, r, samples, k, n);
  return { ...found, reconstruction: found.reconstruction / scale };
}

function both(y: Float32Array, samples: number, k: number, n: number) {
  const size = samples * k * n;
  const kernel = { q: new Float64Array(size), r: new Float64Array(samples * k * k) };
  const js = { q: new Float64Array(size), r: new Float64Array(samples * k * k) };
  const path = factorBlocks(y, samples, k, n, kernel.q, kernel.r, normalSource(9));
  qrRows(y, samples, k, n, js.q, js.r, normalSource(9));
  return { path, kernel, js };
}

const worstDifference = (a: Float64Array, b: Float64Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe('factorBlocks: the propagation QR in WebAssembly', () => {
  it('orthonormal Q, upper-triangular R, Y = RᵀQ, and qrRows\'s numbers to rounding, for the shapes the propagation makes', () => {
    let seed = 1;
    for (const [samples, k, n] of [[1, 1, 4], [3, 2, 8], [8, 8, 128], [9, 8, 256], [2, 16, 64], [4, 4, 4], [1, 40, 40]] as const) {
      const y = block(samples, k, n, seed++, 0.5);
      const { path, kernel, js } = both(y, samples, k, n);
      expect(path, `${samples}×${k}×${n}`).toBe('kernel');
      const { orthogonality, reconstruction, lower } = residuals(y, kernel.q, kernel.r, samples, k, n);
      expect(orthogonality, `${samples}×${k}×${n}`).toBeLessThan(1e-14);
      expect(reconstruction, `${samples}×${k}×${n}`).toBeLessThan(1e-14);
      expect(lower).toBe(0);
      for (let s = 0; s < samples; s++) for (let i = 0; i < k; i++) expect(kernel.r[s * k * k + i * k + i]!).toBeGreaterThan(0);
      // Another order of the same sums: within a few ulps of qrRows, not bit for bit.
      expect(worstDifference(kernel.q, js.q), `Q ${samples}×${k}×${n}`).toBeLessThan(1e-13);
      expect(worstDifference(kernel.r, js.r) / Math.max(...js.r.map(Math.abs)), `R ${samples}×${k}×${n}`).toBeLessThan(1e-13);
    }
  });

  it('nearly dependent rows take more passes and stay orthonormal', () => {
    const y = block(4, 8, 64, 7, 1e6);
    const { path, kernel } = both(y, 4, 8, 64);
    expect(path).toBe('kernel');
    expect(residuals(y, kernel.q, kernel.r, 4, 8, 64).orthogonality).toBeLessThan(1e-14);
  });

  it('a repeated row: R_ii at rounding level and Q orthonormal, as from qrRows', () => {
    const y = block(3, 4, 16, 13);
    y.copyWithin(1 * 4 * 16 + 2 * 16, 1 * 4 * 16, 1 * 4 * 16 + 16); // sample 1: row 2 = row 0
    const { path, kernel, js } = both(y, 3, 4, 16);
    expect(path).toBe('kernel');
    const diagonal = (r: Float64Array) => r[1 * 16 + 2 * 4 + 2]! / r[1 * 16]!;
    expect(diagonal(kernel.r)).toBeLessThan(1e-14);
    expect(diagonal(js.r)).toBeLessThan(1e-14);
    expect(residuals(y, kernel.q, kernel.r, 3, 4, 16).orthogonality).toBeLessThan(1e-14);
  });

  it('a zero row, NaN or ∞ in any sample: qrRows factors the block, bit for bit', () => {
    const cases: [string, (y: Float32Array) => void][] = [
      ['zero row', (y) => y.fill(0, 2 * 8 * 16 + 3 * 16, 2 * 8 * 16 + 4 * 16)],
      ['NaN', (y) => (y[3 * 8 * 16 + 40] = NaN)],
      ['∞', (y) => (y[7 * 8 * 16] = Infinity)],
    ];
    for (const [name, spoil] of cases) {
      const y = block(8, 8, 16, 11);
      spoil(y);
      const { path, kernel, js } = both(y, 8, 8, 16);
      expect(path, name).toBe('qrRows');
      expect(Array.from(kernel.q).every((x, i) => Object.is(x, js.q[i])), `Q, ${name}`).toBe(true);
      expect(Array.from(kernel.r).every((x, i) => Object.is(x, js.r[i])), `R, ${name}`).toBe(true);
    }
  });

  it('n not a multiple of 4, float64 rows, or arrays not of the block\'s sizes: qrRows', () => {
    expect(both(block(2, 3, 6, 3), 2, 3, 6).path).toBe('qrRows');
    const q = new Float64Array(2 * 3 * 8);
    expect(factorBlocks(Float64Array.from(block(2, 3, 8, 4)), 2, 3, 8, q, new Float64Array(18), normalSource(1))).toBe('qrRows');
    const y = block(2, 3, 8, 5);
    expect(factorBlocks(Float32Array.from([...y, 1, 2]), 2, 3, 8, q, new Float64Array(18), normalSource(1))).toBe('qrRows');
    expect(factorBlocks(y.subarray(0, 40), 2, 3, 8, q, new Float64Array(18), normalSource(1))).toBe('qrRows');
    expect(factorBlocks(y, 2, 3, 8, q, new Float64Array(20), normalSource(1))).toBe('qrRows');
  });

  it('grows its memory for a large block and still serves small ones after', () => {
    for (const [samples, k, n] of [[8, 8, 2048], [1, 2, 4]] as const) {
      const y = block(samples, k, n, 21);
      const { path, kernel } = both(y, samples, k, n);
      expect(path).toBe('kernel');
      expect(residuals(y, kernel.q, kernel.r, samples, k, n).orthogonality).toBeLessThan(1e-14);
    }
  });
});
