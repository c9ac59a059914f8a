import { describe, expect, it } from 'vitest';
import { qrRows } from './qr.js';
import { gaussianMatrix, normalSource } from './test-helpers/linalg64.js';
import { qrResiduals } from './test-helpers/qr-residuals.js';

function check(y: Float64Array, samples: number, k: number, n: number) {
  const q = new Float64Array(samples * k * n);
  const r = new Float64Array(samples * k * k);
  qrRows(y, samples, k, n, q, r, normalSource(99));
  for (let s = 0; s < samples; s++) for (let i = 0; i < k; i++) expect(r[s * k * k + i * k + i]!).toBeGreaterThanOrEqual(0);
  return { q, r, ...qrResiduals(y, q, r, samples, k, n) };
}

describe('qrRows (float64)', () => {
  it('random blocks: orthonormal Q, upper-triangular R, Y = Rᵀ Q to ~1e-15', () => {
    const next = normalSource(4);
    for (const [k, n] of [[1, 5], [3, 5], [5, 5], [8, 40]] as const) {
      const y = gaussianMatrix(3 * k, n, next);
      const { orthogonality, reconstruction, lower } = check(y, 3, k, n);
      // Repeated Gram–Schmidt: orthogonal to machine precision (a single
      // classical pass would leave ~1e-13 on these blocks, none at all is O(1)).
      expect(orthogonality).toBeLessThan(1e-14);
      expect(reconstruction).toBeLessThan(1e-13);
      expect(lower).toBe(0);
    }
  });

  it('nearly dependent rows stay orthonormal', () => {
    const next = normalSource(5);
    const base = gaussianMatrix(1, 6, next);
    const y = new Float64Array(3 * 6);
    for (let i = 0; i < 3; i++) for (let c = 0; c < 6; c++) y[i * 6 + c] = base[c]! + (i === 0 ? 0 : 1e-9 * next());
    expect(check(y, 1, 3, 6).orthogonality).toBeLessThan(1e-14);
  });

  it('a zero or dependent row keeps R_ii = 0 and gets a fresh orthonormal direction, never NaN', () => {
    // Rows a = (1, 2, 0), 0 and 2a: k = n = 3.
    const { q, r, orthogonality } = check(new Float64Array([1, 2, 0, 0, 0, 0, 2, 4, 0]), 1, 3, 3);
    expect(r[0]).toBeCloseTo(Math.sqrt(5), 14);
    expect(r[4]).toBe(0); // zero row
    expect(r[8]).toBe(0); // 2a is exactly dependent on a (float64 exact here)
    expect(orthogonality).toBeLessThan(1e-14);
    expect(q.every(Number.isFinite)).toBe(true);
    const allZero = check(new Float64Array(2 * 2 * 4), 2, 2, 4);
    expect(Array.from(allZero.r)).toEqual(new Array(8).fill(0));
    expect(allZero.orthogonality).toBeLessThan(1e-14);
  });

  it('NaN and ∞ propagate as NaN into Q and R of that block only', () => {
    const y = new Float64Array([1, 0, 0, 1, NaN, 0, 0, 1, Infinity, 1, 0, 0]);
    const q = new Float64Array(12);
    const r = new Float64Array(12);
    qrRows(y, 3, 2, 2, q, r, normalSource(1));
    expect(Array.from(q.slice(0, 4))).toEqual([1, 0, 0, 1]);
    expect(Array.from(r.slice(0, 4))).toEqual([1, 0, 0, 1]);
    expect(r[4]).toBeNaN(); // block 1: R_00 of (NaN, 0)
    expect(r[7]).toBeNaN(); // and everything after it
    expect(r[8]).toBe(Infinity); // block 2: ‖(∞, 1)‖ = ∞, then ∞/∞ = NaN in Q
    expect(r[11]).toBeNaN();
    expect(q.slice(4, 8).some(Number.isNaN)).toBe(true);
    expect(q.slice(8, 12).some(Number.isNaN)).toBe(true);
  });
});
