import { describeHorizon, gradientRatio } from '@gradscope/core';
import { formatRunCost, type GradscopeEvent, type LayerMeasurement } from '@gradscope/protocol';
import type { EventSink } from './sinks.js';

/** "1 step", "2 steps". */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const num = (x: number | undefined, digits = 3) =>
  x === undefined ? '?' : !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(1) : x.toFixed(digits);

/** Which indicator the verdict follows, in the line's own symbols. */
function follows(m: LayerMeasurement): string {
  const d = m.diagnosis;
  if (!d || d.follows.length === 0 || m.regime === 'non-finite') return '';
  if (d.gradRatio === null) return ' (by λ₁; no probe targets)';
  if (d.follows.length === 2) return m.regime === 'stable' ? '' : ' (λ₁ and g0/gT agree)';
  return d.follows[0] === 'gradRatio' ? ' (by g0/gT, not λ₁)' : ' (by λ₁, not g0/gT)';
}

/** One layer in a few words: its verdict, the numbers behind it, and the gradient horizon. */
export function describeLayer(m: LayerMeasurement): string {
  const t = m.steps;
  const ratio = m.diagnosis ? m.diagnosis.gradRatio : m.gradNorm ? gradientRatio(m.gradNorm.mean) : null;
  const parts = [`${m.layer} ${m.regime}${follows(m)}`, `λ₁ ${num(m.ftle.mean[0])}`, `max‖J‖ ${num(m.beta.mean)}`, `log‖ΠJ‖ ${num(m.logProduct.mean[t - 1], 1)} ≤ ${num(m.logBound.mean[t - 1], 1)}`];
  if (ratio !== null) parts.push(`g0/gT ${num(ratio)}`);
  if (m.gates?.kind === 'lstm') parts.push(`forget ${num(m.gates.forget.mean[t - 1], 2)}`);
  if (m.gates?.kind === 'gru') parts.push(`update ${num(m.gates.update.mean[t - 1], 2)}`);
  const h = m.diagnosis?.horizon;
  if (h && h.steps !== null) parts.push(`${describeHorizon(h)} (1/|λ₁| = ${num(h.timeScale, 1)})`);
  return parts.join(', ');
}

/**
 * Alerts the monitor has already told the console as a warning (once per
 * monitor, warn-once.ts): printed here too, they came back at every run and
 * every failed measurement.
 */
const WARNED: ReadonlySet<string> = new Set(['measurement-error', 'measured-on-thread', 'worker-stalled']);

/**
 * Headless progress: one line per measurement with every layer's regime,
 * alerts as warnings (but those the monitor warns of itself, see WARNED),
 * and the run's start and end.
 */
export class ConsoleSink implements EventSink {
  readonly name = 'console';
  constructor(private readonly print: (line: string) => void = (line) => console.log(line)) {}

  write(event: GradscopeEvent): void {
    switch (event.type) {
      case 'run-start':
        this.print(`gradscope: run '${event.runId}' — ${event.model.layers.map((l) => `${l.name} (${l.kind}, ${l.units} units)`).join(', ')} on ${event.backend}`);
        break;
      case 'measurement':
        this.print(`gradscope step ${event.step} (${Math.round(event.durationMs)} ms): ${event.layers.map(describeLayer).join(' | ')}`);
        break;
      case 'alert':
        if (!WARNED.has(event.kind)) this.print(`gradscope ${event.severity} at step ${event.step}: ${event.message}`);
        break;
      case 'run-end':
        this.print(`gradscope: run '${event.runId}' ${event.status} after ${count(event.totals.steps, 'step')} and ${count(event.totals.measurements, 'measurement')}${event.reason ? ` (${event.reason})` : ''}${formatRunCost(event.totals)}`);
        break;
      default:
        break;
    }
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
