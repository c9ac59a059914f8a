import assert from 'node:assert/strict';
import test from 'node:test';
import { medianInterval } from './stats.mjs';

// Coverage by hand: P(Binomial(n, ½) ≤ j) summed from binomial coefficients over 2^n.
test('nine values: the 2nd and 8th smallest, covering 1 − 2·(1 + 9)/512', () => {
  const got = medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5]);
  assert.deepEqual({ low: got.low, high: got.high }, { low: 2, high: 8 });
  assert.equal(got.coverage, 1 - (2 * 10) / 512);
});

test('six values reach 95% only with their min and max (1 − 2/64)', () => {
  const got = medianInterval([3, 1, 2, 6, 5, 4]);
  assert.deepEqual(got, { low: 1, high: 6, coverage: 1 - 2 / 64 });
});

test('five values cannot cover the median at 95% (the min–max covers 1 − 2/32 = 93.75%)', () => {
  assert.equal(medianInterval([1, 2, 3, 4, 5]), null);
  assert.deepEqual(medianInterval([1, 2, 3, 4, 5], 0.9), { low: 1, high: 5, coverage: 1 - 2 / 32 });
});

test('a random sample of a known distribution: the interval holds its median about as often as it says', () => {
  // Uniform(0, 1), median ½; Park–Miller's minimal standard generator (exact in doubles: 48271 · 2³¹ < 2⁵³), so the count is the same every run.
  let seed = 12345;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  let held = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const got = medianInterval(Array.from({ length: 9 }, next));
    if (got.low <= 0.5 && 0.5 <= got.high) held++;
  }
  // 96.1% claimed; 2000 trials have a standard error of 0.43%.
  assert.ok(Math.abs(held / trials - (1 - 20 / 512)) < 0.015, `held ${held} of ${trials}`);
});
