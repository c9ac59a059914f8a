import { describe, expect, it } from 'vitest';
import { stopOnNaNReason } from './nan-policy.js';

describe('stopOnNaNReason', () => {
  it('carries on while the loss and gradient norm are finite or not reported', () => {
    expect(stopOnNaNReason(0.5, 2, 0)).toBeNull();
    expect(stopOnNaNReason(null, null, 1)).toBeNull();
    expect(stopOnNaNReason(0, null, 2)).toBeNull();
    expect(stopOnNaNReason(null, 0, 3)).toBeNull();
  });

  it('stops on a NaN or infinite loss, naming it and the step', () => {
    expect(stopOnNaNReason(NaN, 1, 7)).toBe('stopOnNaN: loss is NaN at step 7');
    expect(stopOnNaNReason(-Infinity, null, 0)).toBe('stopOnNaN: loss is -Infinity at step 0');
  });

  it('stops on a non-finite gradient norm with a finite or unreported loss', () => {
    expect(stopOnNaNReason(0.5, Infinity, 4)).toBe('stopOnNaN: gradient norm is Infinity at step 4');
    expect(stopOnNaNReason(null, NaN, 5)).toBe('stopOnNaN: gradient norm is NaN at step 5');
  });

  it('names the loss when both are non-finite', () => {
    expect(stopOnNaNReason(NaN, NaN, 9)).toBe('stopOnNaN: loss is NaN at step 9');
  });
});
