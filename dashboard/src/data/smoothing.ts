/**
 * TensorBoard's scalar smoothing: an exponential moving average with
 * debiasing. With weight w ∈ [0, 1) and the finite values x_1, x_2, … of a
 * series:
 *
 *   a_0 = 0,  a_n = w·a_{n−1} + (1 − w)·x_n,  shown: a_n / (1 − wⁿ)
 *
 * a_n alone starts at 0 and is biased towards it for the first ~1/(1 − w)
 * points (a_1 = (1 − w)·x_1); dividing by 1 − wⁿ, the total weight the
 * average has given to real data so far, removes that bias, so the first
 * smoothed value is x_1 itself and the curve does not rise out of zero.
 * w = 0 is no smoothing; the larger w, the longer the memory.
 *
 * Non-finite values (a diverged step's NaN or ∞, a gap's null) are passed
 * through unchanged and do not enter the average — a NaN would otherwise
 * poison every later point. n counts only the finite values.
 */

export const MAX_SMOOTHING = 0.999;

export function smooth(values: ArrayLike<number | null>, weight: number): (number | null)[] {
  if (!(weight >= 0 && weight <= MAX_SMOOTHING)) throw new Error(`smoothing weight must be in [0, ${MAX_SMOOTHING}], got ${weight}`);
  const out: (number | null)[] = Array.from(values);
  if (weight === 0 || isConstant(out)) return out; // a constant series stays exact (no 1 − wⁿ rounding)
  let avg = 0;
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (v == null || !Number.isFinite(v)) continue;
    avg = weight * avg + (1 - weight) * v;
    n++;
    out[i] = avg / (1 - weight ** n);
  }
  return out;
}

function isConstant(values: readonly (number | null)[]): boolean {
  let first: number | null = null;
  for (const v of values) {
    if (v == null || !Number.isFinite(v)) continue;
    if (first === null) first = v;
    else if (v !== first) return false;
  }
  return true;
}
