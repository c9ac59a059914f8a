/**
 * AutoClip (Seetharaman, Wichern, Pardo & Le Roux 2020, "AutoClip: Adaptive
 * Gradient Clipping for Source Separation Networks"): clip the global
 * gradient norm at the p-th percentile of the norms seen so far, so the
 * threshold follows the run instead of being chosen by hand.
 */
import { rejectUnknownOptions } from '@gradscope/protocol';

/** Options of `withClipping(optimizer, { autoClip: { percentile, history } })`. */
export interface AutoClipOptions {
  /** Which percentile of the observed global norms to clip at, 0 < p ≤ 100. Default 10, the paper's choice. */
  percentile?: number;
  /** How many of the most recent steps' norms to keep; Infinity (the default, as in the paper) keeps every step. */
  history?: number;
}

export const AUTO_CLIP_DEFAULTS = Object.freeze({ percentile: 10, history: Infinity });

const KNOWN = ['percentile', 'history'] as const;

/** The options with defaults filled in, or an error naming the bad one and what would do. */
export function checkAutoClip(options: unknown): Required<AutoClipOptions> {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`withClipping: autoClip must be an object like { percentile: 10 }, got ${String(options)}`);
  }
  rejectUnknownOptions('withClipping', options, KNOWN, 'autoClip.');
  const { percentile = AUTO_CLIP_DEFAULTS.percentile, history = AUTO_CLIP_DEFAULTS.history } = options as AutoClipOptions;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) {
    throw new Error(`withClipping: autoClip.percentile must be a number in (0, 100] (10 clips at the 10th percentile), got ${String(percentile)}`);
  }
  if (typeof history !== 'number' || !(history === Infinity || (Number.isInteger(history) && history >= 1))) {
    throw new Error(`withClipping: autoClip.history must be a positive integer number of steps, or Infinity for all of them, got ${String(history)}`);
  }
  return { percentile, history };
}

/**
 * The p-th percentile of ascending `sorted` values, linearly interpolated
 * between closest ranks (numpy's default, which the paper's code uses): the
 * value at fractional rank (p/100)·(n − 1).
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentileOfSorted: no values');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (rank - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Index of the first element ≥ x in ascending `sorted`. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The norm history of one optimizer. `observe(norm)` adds this step's global
 * norm and returns the threshold for this step: the percentile includes the
 * current norm (as in the paper), so the first step is never clipped.
 * Non-finite norms are not added — one NaN step must not poison every
 * later threshold — and a step with no finite history gets no threshold.
 */
export class AutoClipHistory {
  /** Kept norms in arrival order (for the window) and sorted (for the percentile). */
  private readonly arrival: number[] = [];
  private readonly sorted: number[] = [];

  constructor(readonly percentile: number, readonly history: number) {}

  observe(norm: number): number | null {
    if (Number.isFinite(norm)) {
      this.arrival.push(norm);
      this.sorted.splice(lowerBound(this.sorted, norm), 0, norm);
      if (this.arrival.length > this.history) {
        const oldest = this.arrival.shift()!;
        this.sorted.splice(lowerBound(this.sorted, oldest), 1);
      }
    }
    return this.sorted.length ? percentileOfSorted(this.sorted, this.percentile) : null;
  }
}
