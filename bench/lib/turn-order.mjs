/**
 * The order in which benchmark 7's processes take their turns, cycle by
 * cycle (alternating-runs.mjs): a Williams square on `n` processes (n even,
 * at least 4). Row r is cycle r's order. Every process takes every place
 * once over n cycles, and every process follows every other exactly once
 * inside them.
 *
 * Why: what a turn inherits from the turn before it (the caches, the memory
 * the other process left on the cores, a worker just stopped) should fall
 * on both variants about alike. Rotating one list keeps its cyclic order:
 * with plain and monitored processes interleaved, a monitored turn then
 * followed a plain one 15 times in 16. Here, eight of each over 16 cycles,
 * a monitored turn follows a monitored one 60 times in 128, a plain turn
 * a monitored one 68 times in 127 (the steps from one cycle to the next
 * are not balanced: n of the pairs meet twice).
 *
 * The first row is 0, 1, n−1, 2, n−2, …; row r adds r (mod n). The
 * differences of neighbours in the first row are 1, −2, 3, −4, …, every
 * non-zero residue once, so each ordered pair meets once over the rows.
 * From one cycle to the next, row r ends with r + n/2 and row r+1 starts
 * with r + 1: no process follows itself there either (n ≥ 4).
 */
export function williamsOrder(n) {
  if (!Number.isInteger(n) || n < 4 || n % 2 !== 0) throw new Error(`williamsOrder: needs an even number of processes, at least 4 (got ${n})`);
  const first = [0];
  for (let k = 1; first.length < n; k++) {
    first.push(k);
    if (first.length < n) first.push(n - k);
  }
  return Array.from({ length: n }, (_, r) => first.map((x) => (x + r) % n));
}
