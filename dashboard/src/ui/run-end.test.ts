import { describe, expect, it } from 'vitest';
import { exampleEvent, type RunEndEvent } from '@gradscope/protocol';
import { runEndText } from './run-end.js';

const end = (over: Partial<RunEndEvent>, totals: Partial<RunEndEvent['totals']> = {}): RunEndEvent => {
  const base = exampleEvent('run-end');
  return { ...base, ...over, totals: { ...base.totals, ...totals } };
};

describe('runEndText', () => {
  it('says why a failed run ended, what it recorded and what the monitor cost', () => {
    const text = runEndText(end({ status: 'failed', reason: 'stopOnNaN: loss is NaN' }, { steps: 120, measurements: 40, alerts: 3, clips: 0, durationMs: 12_345, monitorShare: 0.0342, waitShare: 0.0499 }));
    expect(text).toBe('Failed (stopOnNaN: loss is NaN) after 120 steps: 40 measurements, 3 alerts, 0 clips, in 12.3 s; the monitor took 3.42% of training time on its thread, and training waited 4.99% for a core beside the measurement worker.');
  });

  it('a plain completion has no reason; one of each is singular; no wait share where none was read', () => {
    const text = runEndText(end({ status: 'completed', reason: null }, { steps: 1, measurements: 1, alerts: 1, clips: 1, durationMs: 501, monitorShare: 0.031, waitShare: null }));
    expect(text).toBe('Completed after 1 step: 1 measurement, 1 alert, 1 clip, in 0.501 s; the monitor took 3.1% of training time on its thread.');
  });

  it('a run recorded before the shares were reported says nothing of them', () => {
    const { monitorShare: _m, waitShare: _w, ...older } = exampleEvent('run-end').totals;
    const text = runEndText({ ...exampleEvent('run-end'), status: 'stopped', reason: 'stopped by a callback', totals: { ...older, steps: 2 } });
    expect(text).toBe('Stopped (stopped by a callback) after 2 steps: 1 measurement, 1 alert, 1 clip, in 0.501 s.');
  });
});
