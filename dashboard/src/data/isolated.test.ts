import { describe, expect, it } from 'vitest';
import { isolatedPoints } from './isolated.js';

describe('isolated points (drawn as dots, or they are invisible)', () => {
  it('finds a single value, and values between gaps', () => {
    expect(isolatedPoints([-0.1])).toEqual([0]);
    expect(isolatedPoints([1, 2, null, 3, null, 4, 5])).toEqual([3]);
    expect(isolatedPoints([null, 3])).toEqual([1]);
    expect(isolatedPoints([1, 2, null, 3])).toEqual([3]);
    expect(isolatedPoints([7, null, 3])).toEqual([0, 2]);
  });
  it('finds none where every value has a neighbour', () => {
    expect(isolatedPoints([1, 2, null, 3, 4])).toEqual([]);
    expect(isolatedPoints([])).toEqual([]);
    expect(isolatedPoints([null, null])).toEqual([]);
  });
  it('spans alignment holes (undefined) but not gaps (null, NaN, ∞)', () => {
    expect(isolatedPoints([1, undefined, undefined, 2])).toEqual([]);
    expect(isolatedPoints([1, undefined, 2, NaN])).toEqual([]);
    expect(isolatedPoints([undefined, 1, undefined])).toEqual([1]);
    expect(isolatedPoints([1, NaN, 2, 3, Infinity, 4])).toEqual([0, 5]);
  });
});
