/**
 * The points of a line series that no line segment reaches: values whose
 * neighbours are gaps (null: a NaN/∞ step, or a missing measurement) or the
 * ends. uPlot draws lines, not points, so such a value — a run's first and
 * only measurement, a finite step between two diverged ones — would be drawn
 * as nothing; the chart draws a dot at each of these indices instead.
 *
 * undefined is not a gap: it is an alignment hole from joining two runs on one
 * x axis, and the line spans it.
 */
export function isolatedPoints(values: ArrayLike<number | null | undefined>): number[] {
  const out: number[] = [];
  let prevWasValue = false;
  let pending = -1; // index of the last value if nothing connects to it yet
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    if (v !== null && Number.isFinite(v)) {
      pending = prevWasValue ? -1 : i;
      prevWasValue = true;
      continue;
    }
    if (pending >= 0) out.push(pending); // a value, then a gap: nothing connected to it
    pending = -1;
    prevWasValue = false;
  }
  if (pending >= 0) out.push(pending);
  return out;
}
