import { describeHorizon, gradientRatio } from '@gradscope/core';
import type { AlertEvent, LayerMeasurement } from '@gradscope/protocol';
import { median } from './median.js';

export type AlertDraft = Pick<AlertEvent, 'kind' | 'severity' | 'message'> & Partial<Pick<AlertEvent, 'layer' | 'value' | 'threshold'>>;

/**
 * λ₁ must be this far from zero over the probe horizon, |T·λ₁| ≥ 0.5 (a
 * factor e^{0.5} ≈ 1.65 over the sequence), before its sign counts: λ₁
 * hovering around zero would otherwise raise a crossing at every measurement.
 */
export const CROSSING_DEAD_BAND = 0.5;

/** Steps of gradient-norm history the spike detector compares against. */
const SPIKE_WINDOW = 50;
/** A spike needs at least this much history, so early noise is not flagged. */
const SPIKE_MIN_HISTORY = 10;

/** The diagnosis's remedies as the tail of an alert: ". Try: A (because …); B (because …)". */
function remedyText(m: LayerMeasurement): string {
  const remedies = m.diagnosis?.remedies ?? [];
  return remedies.length ? `. Try: ${remedies.map((r) => `${r.action} (${r.because})`).join('; ')}` : '';
}

/** Training steps a layer must have been out of a regime before entering it again is alerted again. */
export const REALERT_AFTER_STEPS = 100;

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

/**
 * Turns the per-step record and each measurement into alerts. Alerts fire
 * on transitions (a layer entering the vanishing regime, λ₁ changing sign),
 * not on every measurement that stays in a state, so the list stays short.
 *
 * - grad-spike: global gradient norm > spikeFactor × median of the last 50 steps
 *   (once per episode: not again until the norm has fallen back below).
 * - non-finite: NaN/Infinity in the loss, the gradient norm, or a measurement.
 * - vanishing / exploding: a layer's regime (see @gradscope/core classifyRegime) becomes so;
 *   the message is the layer's diagnosis: why, the gradient horizon, and what to try. A layer
 *   near a threshold flips in and out at every measurement (with `every: 1`, every step), and
 *   each alert carries the whole diagnosis: a layer entering a regime it was measured in
 *   fewer than REALERT_AFTER_STEPS training steps before is not alerted again (each regime
 *   apart, so one flipping between vanishing and exploding is quiet too). A non-finite
 *   measurement is an error, alerted at every entry.
 * - lyapunov-crossing: a layer's mean λ₁ changes sign (outside a dead band of
 *   |T·λ₁| < 0.5, where the sign means nothing over the probe's length).
 */
export class AlertDetector {
  private readonly gradHistory: number[] = [];
  private readonly regimes = new Map<string, string>();
  /** Per layer and regime: the training step of the last measurement in that regime. */
  private readonly lastIn = new Map<string, Map<string, number>>();
  private readonly lambda1 = new Map<string, number>();
  /** Inside a spike episode: the norm is still above the threshold it crossed. */
  private spiking = false;
  private lossWasFinite = true;
  private gradWasFinite = true;

  constructor(private readonly spikeFactor: number) {}

  /** The finite global gradient norms of the last 50 steps, oldest first (a diagnosis derives a clip threshold from them). */
  recentGradNorms(): readonly number[] {
    return [...this.gradHistory];
  }

  onTrainStep(loss: number | null, gradNorm: number | null): AlertDraft[] {
    const alerts: AlertDraft[] = [];
    if (loss !== null) {
      const finite = Number.isFinite(loss);
      if (!finite && this.lossWasFinite) {
        alerts.push({ kind: 'non-finite', severity: 'error', message: `loss became ${loss}`, value: loss });
      }
      this.lossWasFinite = finite;
    }
    if (gradNorm !== null) {
      const finite = Number.isFinite(gradNorm);
      if (!finite && this.gradWasFinite) {
        alerts.push({ kind: 'non-finite', severity: 'error', message: `gradient norm became ${gradNorm}`, value: gradNorm });
      }
      this.gradWasFinite = finite;
      if (finite) {
        if (this.gradHistory.length >= SPIKE_MIN_HISTORY) {
          const typical = median(this.gradHistory);
          const threshold = this.spikeFactor * typical;
          const above = typical > 0 && gradNorm > threshold;
          // One alert per episode: a run that keeps exploding says so once,
          // and again only after the norm has come back down.
          if (above && !this.spiking) {
            alerts.push({
              kind: 'grad-spike',
              severity: 'warning',
              message: `gradient norm ${fmt(gradNorm)} is ${fmt(gradNorm / typical)}× its running median ${fmt(typical)}`,
              value: gradNorm,
              threshold,
            });
          }
          this.spiking = above;
        }
        this.gradHistory.push(gradNorm);
        if (this.gradHistory.length > SPIKE_WINDOW) this.gradHistory.shift();
      }
    }
    return alerts;
  }

  /** Alerts for a measurement of the training step `step` (the step its weights are from). */
  onMeasurement(layers: LayerMeasurement[], step: number): AlertDraft[] {
    const alerts: AlertDraft[] = [];
    for (const m of layers) {
      const previous = this.regimes.get(m.layer);
      const seen = this.lastIn.get(m.layer) ?? new Map<string, number>();
      this.lastIn.set(m.layer, seen);
      const lastStep = seen.get(m.regime);
      // Measurements can arrive a little out of step order (a lost snapshot measured late): a negative gap is recent too.
      const recent = m.regime !== 'non-finite' && lastStep !== undefined && step - lastStep < REALERT_AFTER_STEPS;
      seen.set(m.regime, Math.max(step, lastStep ?? step));
      if (m.regime !== previous && m.regime !== 'stable' && !recent) {
        const ratio = m.diagnosis?.gradRatio ?? (m.gradNorm ? gradientRatio(m.gradNorm.mean) : NaN);
        const l1 = m.ftle.mean[0] ?? NaN;
        alerts.push(
          m.regime === 'non-finite'
            ? { kind: 'non-finite', severity: 'error', layer: m.layer, message: `${m.layer}: measurement has NaN/Infinity (the model's state or weights are no longer finite)${remedyText(m)}` }
            : {
                kind: m.regime,
                severity: 'warning',
                layer: m.layer,
                message: m.diagnosis
                  ? `${m.layer} is ${m.diagnosis.reason}; ${describeHorizon(m.diagnosis.horizon)}${remedyText(m)}`
                  : `${m.layer} is ${m.regime}: λ₁ = ${fmt(l1)} per step, gradNorm[0]/gradNorm[T] = ${fmt(ratio)}`,
                value: ratio !== null && Number.isFinite(ratio) ? ratio : l1,
              },
        );
      }
      this.regimes.set(m.layer, m.regime);
      const l1 = m.ftle.mean[0];
      const before = this.lambda1.get(m.layer);
      if (l1 !== undefined && Number.isFinite(l1) && Math.abs(m.steps * l1) >= CROSSING_DEAD_BAND) {
        if (before !== undefined && Math.sign(before) !== Math.sign(l1)) {
          alerts.push({
            kind: 'lyapunov-crossing',
            severity: 'info',
            layer: m.layer,
            message: `${m.layer}: λ₁ crossed zero (${fmt(before)} → ${fmt(l1)}): perturbations now ${l1 > 0 ? 'grow' : 'shrink'} through time`,
            value: l1,
            threshold: 0,
          });
        }
        this.lambda1.set(m.layer, l1);
      }
    }
    return alerts;
  }
}
