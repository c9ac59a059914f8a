import { describe, expect, it } from 'vitest';
import { checkDue } from './lanczos-check.js';

/** The steps (1-based) of a run of `steps` that end with a check. */
function checkedSteps(settings: Parameters<typeof checkDue>[0], steps: number, regular: number): number[] {
  return Array.from({ length: steps }, (_, i) => i + 1).filter((taken) => checkDue(settings, taken, regular, taken === steps));
}

describe('checkDue: which Lanczos steps end with a convergence check', () => {
  it('cold: every checkEvery steps, at regular and at the last step', () => {
    expect(checkedSteps({ checkEvery: 4 }, 30, 30)).toEqual([4, 8, 12, 16, 20, 24, 28, 30]);
    expect(checkedSteps({ checkEvery: 4 }, 40, 34)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 34, 36, 40]);
  });

  it('warm: none before minSteps − quietSpan, where no map may leave and no later check looks back', () => {
    const warmStop = { residual: 1e-4, minSteps: 12, quietSpan: 4 };
    // A SimpleRNN's J Jᵀ run (checks 4 apart): the check at 4 goes, 8 stays (the check at 12 reads σ at 8).
    expect(checkedSteps({ checkEvery: 4, warmStop }, 20, 20)).toEqual([8, 12, 16, 20]);
    // Golub–Kahan's warm checks 2 apart: 2, 4 and 6 go.
    expect(checkedSteps({ checkEvery: 2, warmStop }, 14, 14)).toEqual([8, 10, 12, 14]);
    // The last step is checked even when it comes before the floor (a map of size 5 ends at step 5).
    expect(checkedSteps({ checkEvery: 2, warmStop }, 5, 5)).toEqual([5]);
  });
});
