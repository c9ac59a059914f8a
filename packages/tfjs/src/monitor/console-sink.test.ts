/** The console sink's lines: how a run ended and what the monitor cost training; which alerts it prints. */
import { exampleEvents, type AlertEvent, type RunEndEvent } from '@gradscope/protocol';
import { describe, expect, it } from 'vitest';
import { ConsoleSink } from './console-sink.js';

const exampleEnd = () => exampleEvents().find((e): e is RunEndEvent => e.type === 'run-end')!;

describe('ConsoleSink', () => {
  it("ends a run with its status, steps, measurements and what the monitor cost training (its three shares of training time)", () => {
    const lines: string[] = [];
    const sink = new ConsoleSink((line) => lines.push(line));
    const end = exampleEnd();
    sink.write({ ...end, totals: { ...end.totals, steps: 400, measurements: 212, monitorShare: 0.0291, waitShare: 0.0437, slowdownShare: 0.0512 } });
    sink.write({ ...end, status: 'stopped', reason: 'stopOnNaN: loss is NaN at step 36', totals: { ...end.totals, steps: 37, measurements: 2, monitorShare: 0.05, waitShare: null } });
    sink.write({ ...end, totals: { ...end.totals, steps: 1, measurements: 1, monitorShare: 0.05, waitShare: null } });
    sink.write({ ...end, totals: { ...end.totals, steps: 0, measurements: 0, monitorShare: 0, waitShare: null } });
    expect(lines).toEqual([
      `gradscope: run '${end.runId}' completed after 400 steps and 212 measurements; the monitor took 2.91% of training time on its thread; beside the measurement worker training waited 4.37% for a core, and its steps' excess over steps while the worker rested came to 5.12%`,
      `gradscope: run '${end.runId}' stopped after 37 steps and 2 measurements (stopOnNaN: loss is NaN at step 36); the monitor took 5% of training time on its thread`,
      `gradscope: run '${end.runId}' completed after 1 step and 1 measurement; the monitor took 5% of training time on its thread`,
      `gradscope: run '${end.runId}' completed after 0 steps and 0 measurements; the monitor took 0% of training time on its thread`,
    ]);
  });

  it('prints alerts, but not those the monitor has warned of itself, once per monitor (they came back at every run and failure)', () => {
    const lines: string[] = [];
    const sink = new ConsoleSink((line) => lines.push(line));
    const alert = exampleEvents().find((e): e is AlertEvent => e.type === 'alert')!;
    for (const kind of ['vanishing', 'measurement-error', 'measured-on-thread', 'worker-stalled', 'dropped-events']) {
      sink.write({ ...alert, kind, message: `${kind} news` });
    }
    expect(lines).toEqual([`gradscope ${alert.severity} at step ${alert.step}: vanishing news`, `gradscope ${alert.severity} at step ${alert.step}: dropped-events news`]);
  });
});
