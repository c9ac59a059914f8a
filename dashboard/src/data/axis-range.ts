/**
 * The y range of a chart, computed from everything the chart draws: every
 * shown series — the selected run's and the compared run's — and every
 * reference line (λ = 0, ‖J‖ = 1, the clip threshold). A compared run whose
 * values lie far from the selected run's must still land inside the axes, and
 * a reference line is only useful when it is on screen.
 *
 * Non-finite values (NaN, ±∞, and the nulls/undefineds that mark gaps and
 * alignment holes) never take part: one NaN would otherwise make the range
 * NaN and blank the whole chart. On a log axis only positive values count.
 */

export interface AxisRangeOptions {
  /** Log axis: only values > 0 count, and the range snaps out to powers of ten (where a log axis has its ticks). */
  log?: boolean;
  /** Extra values that must be inside the range (reference lines). */
  include?: readonly number[];
}

type Values = ArrayLike<number | null | undefined>;

/** Smallest and largest usable value over all series, or null when there is none. */
export function extent(series: readonly Values[], log = false): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v == null || !Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Fraction of the data span added above and below, so extreme points are not drawn on the frame. */
export const PAD = 0.05;

/**
 * [min, max] for the axis. Linear: the extent padded by 5% of its span on
 * each side (a flat series: ±10% of its value, or ±1 at 0). Log: out to the
 * enclosing powers of ten. No usable value: [0, 1] linear, [1, 10] log.
 */
export function axisRange(series: readonly Values[], opts: AxisRangeOptions = {}): [number, number] {
  const ext = extent([...series, opts.include ?? []], opts.log);
  if (opts.log) {
    if (!ext) return [1, 10];
    const lo = 10 ** Math.floor(Math.log10(ext[0]));
    let hi = 10 ** Math.ceil(Math.log10(ext[1]));
    if (!(hi > lo)) hi = lo * 10;
    return [lo, Number.isFinite(hi) ? hi : Number.MAX_VALUE];
  }
  if (!ext) return [0, 1];
  const [lo, hi] = ext;
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * PAD;
  // hi − lo overflows only for values near ±1.8e308; then the bare extent is all we can draw.
  return Number.isFinite(pad) && Number.isFinite(lo - pad) && Number.isFinite(hi + pad) ? [lo - pad, hi + pad] : [lo, hi];
}
