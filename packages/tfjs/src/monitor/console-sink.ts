import type { GradscopeEvent, LayerMeasurement } from '@gradscope/protocol';
import type { EventSink } from './sinks.js';

const num = (x: number | undefined, digits = 3) =>
  x === undefined ? '?' : !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(1) : x.toFixed(digits);

/** One layer in a few words: its regime and the numbers behind it. */
export function describeLayer(m: LayerMeasurement): string {
  const t = m.steps;
  const ratio = m.gradNorm ? m.gradNorm.mean[0]! / m.gradNorm.mean[t]! : undefined;
  const parts = [`${m.layer} ${m.regime}`, `λ₁ ${num(m.ftle.mean[0])}`, `max‖J‖ ${num(m.beta.mean)}`, `log‖ΠJ‖ ${num(m.logProduct.mean[t - 1], 1)} ≤ ${num(m.logBound.mean[t - 1], 1)}`];
  if (ratio !== undefined) parts.push(`g0/gT ${num(ratio)}`);
  if (m.gates?.kind === 'lstm') parts.push(`forget ${num(m.gates.forget.mean[t - 1], 2)}`);
  if (m.gates?.kind === 'gru') parts.push(`update ${num(m.gates.update.mean[t - 1], 2)}`);
  return parts.join(', ');
}

/**
 * Headless progress: one line per measurement with every layer's regime,
 * alerts as warnings, and the run's start and end.
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
        this.print(`gradscope ${event.severity} at step ${event.step}: ${event.message}`);
        break;
      case 'run-end':
        this.print(`gradscope: run '${event.runId}' ${event.status} after ${event.totals.steps} steps${event.reason ? ` (${event.reason})` : ''}`);
        break;
      default:
        break;
    }
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
