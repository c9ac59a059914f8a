import { describe, expect, it } from 'vitest';
import { unitRowsOr } from './rows.js';

/** Rows of two entries, worked by hand; every expected entry is a float32 rounding of the exact quotient. */
describe('unitRowsOr: rows made unit on the host', () => {
  const fallback = Float32Array.of(0, 1);

  it('divides a row by its norm, rounding once to float32', () => {
    expect(Array.from(unitRowsOr(Float32Array.of(3, 4, -5, 12), 2, fallback))).toEqual([0.6, 0.8, -5 / 13, 12 / 13].map(Math.fround));
  });

  it('gives the fallback to a zero row and to rows with NaN or an infinite entry', () => {
    expect(Array.from(unitRowsOr(Float32Array.of(0, 0, NaN, 1, Infinity, 1, 2, 0), 2, fallback))).toEqual([0, 1, 0, 1, 0, 1, 1, 0]);
  });

  it('without a fallback keeps a zero row zero and makes a non-finite row NaN', () => {
    expect(Array.from(unitRowsOr(Float32Array.of(0, 0, NaN, 1, -Infinity, 2, 0, 2), 2, null))).toEqual([0, 0, NaN, NaN, NaN, NaN, 0, 1]);
  });

  it('with a mix adds that share of the fallback to the unit row and makes the sum unit', () => {
    // [6, 8] → [0.6, 0.8]; + 0.5·[0, 1] = [0.6, 1.3], of norm √(0.36 + 1.69) = √2.05.
    const [a, b] = unitRowsOr(Float32Array.of(6, 8), 2, fallback, 0.5);
    expect(a).toBe(Math.fround(0.6 / Math.sqrt(2.05)));
    expect(b).toBe(Math.fround(1.3 / Math.sqrt(2.05)));
    // A row that the mix cancels exactly ([0, −1] + 1·[0, 1]) takes the fallback.
    expect(Array.from(unitRowsOr(Float32Array.of(0, -1), 2, fallback, 1))).toEqual([0, 1]);
    // A mix so large that the sum's square overflows takes the fallback too (found by a review: it gave a zero row).
    for (const mix of [1e200, Infinity]) expect(Array.from(unitRowsOr(Float32Array.of(3, 4), 2, fallback, mix)), `mix ${mix}`).toEqual([0, 1]);
  });
});
