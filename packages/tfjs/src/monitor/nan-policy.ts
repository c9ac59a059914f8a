/**
 * The stopOnNaN policy: why training should stop after this step, or null
 * to carry on. A loss or global gradient norm that is NaN or ±Infinity
 * stops it (the loss is named first when both are); null means the step did
 * not report that figure, which is not a reason to stop.
 */
export function stopOnNaNReason(loss: number | null, gradNorm: number | null, step: number): string | null {
  if (loss !== null && !Number.isFinite(loss)) return `stopOnNaN: loss is ${loss} at step ${step}`;
  if (gradNorm !== null && !Number.isFinite(gradNorm)) return `stopOnNaN: gradient norm is ${gradNorm} at step ${step}`;
  return null;
}
