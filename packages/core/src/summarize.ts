/**
 * Summaries over the probe's samples: every per-sample quantity is reported
 * as its mean, min and max. Non-finite values are never skipped: one NaN
 * sample makes mean, min and max NaN at that index (a model that produced NaN
 * must show it), and infinities follow IEEE arithmetic (mean of −∞ and 1 is
 * −∞; mean of −∞ and +∞ is NaN).
 */

import type { ScalarSummary, Summary } from '@gradscope/protocol';

// The summary types are the measurement record's (one home: @gradscope/protocol);
// SeriesSummary is core's historical name for the protocol's Summary.
export type { ScalarSummary };
export type SeriesSummary = Summary;

function summarizeColumn(values: readonly number[]): ScalarSummary {
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (const x of values) {
    if (Number.isNaN(x)) nan = true;
    // Each term divided first: summing large finite values cannot overflow to ∞.
    mean += x / values.length;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return nan ? { mean: NaN, min: NaN, max: NaN } : { mean, min, max };
}

/** mean, min and max over the samples of a number[] (one value per sample). */
export function summarizeScalar(values: readonly number[]): ScalarSummary {
  if (values.length === 0) throw new Error('summarizeScalar: need at least one sample, got an empty array');
  return summarizeColumn(values);
}

/** mean, min and max over samples per index of a [S][T] array; every sample must have the same length. */
export function summarize(perSample: readonly (readonly number[])[]): SeriesSummary {
  const first = perSample[0];
  if (first === undefined) throw new Error('summarize: need at least one sample, got an empty array');
  perSample.forEach((row, s) => {
    if (!Array.isArray(row) || row.length !== first.length) {
      throw new Error(`summarize: sample ${s} has length ${Array.isArray(row) ? row.length : String(row)}, sample 0 has ${first.length}`);
    }
  });
  const out: SeriesSummary = { mean: [], min: [], max: [] };
  for (let t = 0; t < first.length; t++) {
    const column = summarizeColumn(perSample.map((row) => row[t] as number));
    out.mean.push(column.mean);
    out.min.push(column.min);
    out.max.push(column.max);
  }
  return out;
}
