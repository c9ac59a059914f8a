/**
 * Binning of training-step columns for a heatmap of fixed pixel width.
 * Column c of the image shows measurements [c·binSize, (c+1)·binSize). While
 * the measurements fit, binSize = 1 (one measurement per column). When they
 * outgrow the width, binSize doubles: two old columns merge into one, so the
 * image is rebuilt only log₂(N / width) times over a whole run, and between
 * rebuilds each new measurement touches a single column.
 */

/** Smallest power-of-two bin size that fits `count` items into `width` columns. */
export function binSizeFor(count: number, width: number): number {
  if (!(width >= 1)) throw new Error(`binSizeFor: width must be ≥ 1, got ${width}`);
  let size = 1;
  while (Math.ceil(count / size) > width) size *= 2;
  return size;
}

/** Number of columns used by `count` items at `binSize`. */
export function columnsFor(count: number, binSize: number): number {
  return Math.ceil(count / binSize);
}

/**
 * The value a bin shows at one row: the mean of the finite values — but if
 * any member is non-finite, that wins (NaN over ±∞), so a diverged step is
 * never averaged away by its neighbours.
 */
export function binValue(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  let nonFinite: number | null = null;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    } else if (Number.isNaN(v)) nonFinite = NaN;
    else if (nonFinite === null) nonFinite = v;
  }
  if (nonFinite !== null) return nonFinite;
  return n === 0 ? NaN : sum / n;
}

/**
 * Bins columns of equal length: columns[i][row] → out[c][row] with
 * c = floor(i / binSize). Used on rebuild; live appends call binValue on the
 * one column that changed.
 */
export function binColumns(columns: readonly ArrayLike<number>[], binSize: number): Float64Array[] {
  const out: Float64Array[] = [];
  const rows = columns[0]?.length ?? 0;
  for (let start = 0; start < columns.length; start += binSize) {
    const members = columns.slice(start, start + binSize);
    const col = new Float64Array(rows);
    const scratch: number[] = new Array(members.length);
    for (let r = 0; r < rows; r++) {
      for (let m = 0; m < members.length; m++) scratch[m] = members[m]![r] ?? NaN;
      col[r] = binValue(scratch);
    }
    out.push(col);
  }
  return out;
}

/** The item range [first, last] covered by column c, for tooltips and clicks. */
export function columnRange(c: number, binSize: number, count: number): [number, number] {
  const first = c * binSize;
  return [first, Math.min(count - 1, first + binSize - 1)];
}
