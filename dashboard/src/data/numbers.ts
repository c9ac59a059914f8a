/**
 * Number handling shared by every picture. The protocol hands us NaN and
 * ±Infinity as real numbers (decodeEvent turns "NaN" back into NaN): a model
 * that diverged must show as diverged, so nothing here drops them silently —
 * lines get a gap (uPlot's null) and the heatmap a dedicated colour.
 */

/** uPlot draws null as a gap; NaN would poison its auto-scaling. */
export function plotValue(v: number | null | undefined): number | null {
  return v == null || !Number.isFinite(v) ? null : v;
}

/** For log-scaled axes: also gap out zero and negatives (a log axis cannot show them). */
export function positiveValue(v: number | null | undefined): number | null {
  return v == null || !Number.isFinite(v) || v <= 0 ? null : v;
}

/**
 * Natural log that keeps the meaning of odd inputs: ln 0 = −∞ (a Jacobian
 * that kills every perturbation), ln(+∞) = +∞, ln(NaN or negative) = NaN.
 */
export function ln(v: number): number {
  if (Number.isNaN(v) || v < 0) return NaN;
  return Math.log(v);
}

/** Short human form: 3 significant digits, 'NaN', '+∞', '−∞', '—' for missing. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v == null) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+∞';
  if (v === -Infinity) return '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** Largest finite |v| in the values, or 0 when none is finite. */
export function maxAbsFinite(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}
