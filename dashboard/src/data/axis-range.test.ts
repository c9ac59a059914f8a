import { describe, expect, it } from 'vitest';
import { axisRange, extent } from './axis-range.js';

const close = (r: [number, number], lo: number, hi: number) => {
  expect(r[0]).toBeCloseTo(lo, 12);
  expect(r[1]).toBeCloseTo(hi, 12);
};

describe('axis range over every drawn series', () => {
  it('pads the extent of one series by 5% of its span', () => {
    close(axisRange([[1, 2, 3]]), 0.9, 3.1);
  });
  it('includes a compared series far outside the selected run (the issue: λ₁ −0.1 against −0.05…−0.025)', () => {
    const shown = [-0.05, -0.04, -0.025];
    const compared = [-0.1, -0.098];
    close(axisRange([shown, compared]), -0.10375, -0.02125);
    // and the λ = 0 reference line, which an all-negative chart would otherwise cut off
    close(axisRange([shown, compared], { include: [0] }), -0.105, 0.005);
  });
  it('ignores NaN, ±∞, null and undefined (a diverged step must not blank the chart)', () => {
    close(axisRange([[NaN, Infinity, null, undefined, 2, -Infinity, 4]]), 1.9, 4.1);
    expect(extent([[NaN, null], []])).toBeNull();
    expect(axisRange([[NaN, null]])).toEqual([0, 1]);
    expect(axisRange([])).toEqual([0, 1]);
  });
  it('opens a flat series to ±10% (±1 at zero)', () => {
    close(axisRange([[5, 5]]), 4.5, 5.5);
    close(axisRange([[-2]]), -2.2, -1.8);
    expect(axisRange([[0, 0]])).toEqual([-1, 1]);
  });
  it('on a log axis counts only positive values and snaps out to powers of ten', () => {
    expect(axisRange([[0.5, 3.5], [0, -1, 1200]], { log: true })).toEqual([0.1, 10000]);
    expect(axisRange([[2, 3]], { log: true, include: [0.05] })).toEqual([0.01, 10]);
    expect(axisRange([[10]], { log: true })).toEqual([10, 100]);
    expect(axisRange([[0, -3, NaN]], { log: true })).toEqual([1, 10]);
    expect(axisRange([[1e300, 1.7e308]], { log: true })[1]).toBe(Number.MAX_VALUE);
  });
  it('keeps the bare extent when padding would overflow', () => {
    expect(axisRange([[-1.7e308, 1.7e308]])).toEqual([-1.7e308, 1.7e308]);
  });
});
