import assert from 'node:assert/strict';
import test from 'node:test';
import { mannWhitneyCounts, medianInterval, shiftInterval } from './stats.mjs';

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

// The orders of two samples counted by hand: for 2 against 2, of the 6 orders of xxyy, U (pairs with the y below
// the x) is 0 for xxyy, 1 for xyxy, 2 for xyyx and yxxy, 3 for yxyx, 4 for yyxx.
test('Mann–Whitney counts: 2 against 2 by hand, and every order counted once', () => {
  assert.deepEqual(mannWhitneyCounts(2, 2), [1, 1, 2, 1, 1]);
  // 1 against 3: the x among three ys, at each of its 4 places once.
  assert.deepEqual(mannWhitneyCounts(1, 3), [1, 1, 1, 1]);
  // The published table's start for 4 against 4 (P(U ≤ 1) = 2/70, P(U ≤ 2) = 4/70), and its symmetry.
  const c = mannWhitneyCounts(4, 4);
  assert.deepEqual(c.slice(0, 4), [1, 1, 2, 3]);
  assert.deepEqual(c, [...c].reverse());
  assert.equal(c.reduce((s, x) => s + x, 0), 70);
  // 2 against 3: the 10 orders of xxyyy by hand (U 0: xxyyy; 1: xyxyy; 2: xyyxy, yxxyy; 3: xyyyx, yxyxy;
  // 4: yxyyx, yyxxy; 5: yyxyx; 6: yyyxx), the same for 3 against 2.
  assert.deepEqual(mannWhitneyCounts(2, 3), [1, 1, 2, 2, 2, 1, 1]);
  assert.deepEqual(mannWhitneyCounts(3, 2), [1, 1, 2, 2, 2, 1, 1]);
  assert.deepEqual(mannWhitneyCounts(0, 3), [1]);
});

test('shift interval: 4 against 4 ys moved by 10 gives 16 differences, 6–14; at 95% their min–max (1 − 2/70), at 90% the 2nd of each end (1 − 4/70)', () => {
  const xs = [0, 1, 2, 4];
  const ys = [10, 11, 12, 14];
  // Differences y − x: 6 … 14, median 10.
  assert.deepEqual(shiftInterval(xs, ys), { estimate: 10, low: 6, high: 14, coverage: 1 - 2 / 70 });
  assert.deepEqual(shiftInterval(xs, ys, 0.9), { estimate: 10, low: 7, high: 13, coverage: 1 - 4 / 70 });
});

test('shift interval: 3 against 5, differences y − x of 0, 1, 2 against 10 … 14 (8 … 14); at 90% the 2nd of each end', () => {
  // C(8, 3) = 56 orders; U ≤ 0: 1, U ≤ 1: 2 (counts 1, 1, 2, 3, …): k = 1 covers 1 − 4/56 ≥ 90%, k = 2 (1 − 8/56) does not.
  const got = shiftInterval([0, 1, 2], [10, 11, 12, 13, 14], 0.9);
  // The 15 differences sorted: 8, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 14; median 11.
  assert.deepEqual(got, { estimate: 11, low: 9, high: 13, coverage: 1 - 4 / 56 });
  // The other way round the shift is −11, its interval mirrored.
  assert.deepEqual(shiftInterval([10, 11, 12, 13, 14], [0, 1, 2], 0.9), { estimate: -11, low: -13, high: -9, coverage: 1 - 4 / 56 });
});

test('shift interval: 3 against 3 cannot reach 95% (the min–max covers 1 − 2/20 = 90%)', () => {
  assert.deepEqual(shiftInterval([1, 2, 3], [4, 5, 6]), { estimate: 3 });
  assert.deepEqual(shiftInterval([1, 2, 3], [4, 5, 6], 0.9), { estimate: 3, low: 1, high: 5, coverage: 0.9 });
});

test('shift interval: samples of a known shift hold it about as often as the interval says', () => {
  // Exponential noise (skewed: no symmetry to lean on), ys moved by 0.3; Park–Miller as above.
  let seed = 271828;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const draw = () => -Math.log(1 - next());
  let held = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const got = shiftInterval(Array.from({ length: 5 }, draw), Array.from({ length: 5 }, () => draw() + 0.3));
    if (got.low <= 0.3 && 0.3 <= got.high) held++;
  }
  // 5 against 5 at 95%: k = 2, 1 − 2·4/252 = 96.8%; 2000 trials have a standard error of 0.39%.
  assert.ok(Math.abs(held / trials - (1 - 8 / 252)) < 0.015, `held ${held} of ${trials}`);
});
