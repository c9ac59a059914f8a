/**
 * A set of seqs kept as sorted, disjoint, inclusive ranges. The publisher
 * records here the seqs it had to skip, so an event lost once and skipped
 * again for a second server (one that restarted empty) is counted once.
 */
export class SeqRanges {
  private ranges: [number, number][] = [];

  /** Adds [from, to]; returns how many of those seqs were not in the set before. */
  add(from: number, to: number): number {
    if (to < from) return 0;
    let added = to - from + 1;
    const merged: [number, number][] = [];
    let lo = from;
    let hi = to;
    for (const [a, b] of this.ranges) {
      if (b < lo - 1 || a > hi + 1) {
        merged.push([a, b]);
        continue;
      }
      added -= Math.max(0, Math.min(b, to) - Math.max(a, from) + 1);
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
    merged.push([lo, hi]);
    merged.sort((x, y) => x[0] - y[0]);
    this.ranges = merged;
    return added;
  }

  has(seq: number): boolean {
    return this.ranges.some(([a, b]) => seq >= a && seq <= b);
  }

  /** Whether every seq in [from, to] is in the set (true for an empty interval). */
  covers(from: number, to: number): boolean {
    if (to < from) return true;
    return this.ranges.some(([a, b]) => a <= from && b >= to);
  }

  get size(): number {
    return this.ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  }
}
