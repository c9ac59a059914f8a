import { describe, expect, it } from 'vitest';
import { exampleEvent, type RunEndEvent } from '@gradscope/protocol';
import { formatDuration, REASON_CHARS, runEndText, shortReason } from './run-end.js';

const end = (over: Partial<RunEndEvent>, totals: Partial<RunEndEvent['totals']> = {}): RunEndEvent => {
  const base = exampleEvent('run-end');
  return { ...base, ...over, totals: { ...base.totals, ...totals } };
};

// The status and reason pairs are the ones the monitor writes (run-session.ts, monitor.ts).
describe('runEndText', () => {
  it('says why a run stopped on NaN, what it recorded and what the monitor cost', () => {
    const text = runEndText(end({ status: 'stopped', reason: 'stopOnNaN: loss is NaN at step 36' }, { steps: 37, measurements: 12, alerts: 2, clips: 0, durationMs: 4_130, monitorShare: 0.0342, waitShare: 0.0499 }));
    expect(text).toBe('Stopped (stopOnNaN: loss is NaN at step 36) after 37 steps: 12 measurements, 2 alerts, 0 clips, in 4.1 s; the monitor took 3.42% of training time on its thread, and training waited 4.99% for a core beside the measurement worker.');
  });

  it('a plain completion has no reason; one of each is singular; no wait share where none was read', () => {
    const text = runEndText(end({ status: 'completed', reason: null }, { steps: 1, measurements: 1, alerts: 1, clips: 1, durationMs: 501, monitorShare: 0.031, waitShare: null }));
    expect(text).toBe('Completed after 1 step: 1 measurement, 1 alert, 1 clip, in 501 ms; the monitor took 3.1% of training time on its thread.');
  });

  it('a failed run says how; a run without the shares (older, or no training time recorded) says nothing of them', () => {
    const { monitorShare: _m, waitShare: _w, ...older } = exampleEvent('run-end').totals;
    const reason = "its fit() did not finish (it threw); monitor.close() ended the run";
    const text = runEndText({ ...exampleEvent('run-end'), status: 'failed', reason, totals: { ...older, steps: 2, durationMs: 3 * 3_600_000 + 20 * 60_000 } });
    expect(text).toBe(`Failed (${reason}) after 2 steps: 1 measurement, 1 alert, 1 clip, in 3 h 20 min.`);
  });

  it('a callback that stops training completes the run, with that reason', () => {
    expect(runEndText(end({ status: 'completed', reason: 'stopped by a callback' }, { steps: 5, durationMs: 65_400 }))).toMatch(/^Completed \(stopped by a callback\) after 5 steps: .* in 1 min 5 s;/);
  });
});

describe('shortReason', () => {
  it('keeps a one-line reason as it is', () => {
    expect(shortReason('stopOnNaN: loss is NaN at step 36')).toBe('stopOnNaN: loss is NaN at step 36');
  });

  it('shows the first line of a multi-line reason, marked as cut', () => {
    // endAtExit's reason ends with the uncaught error's message, which tfjs often spreads over lines.
    const reason = 'the process ended on an uncaught error while the run was open: Error when checking input: expected shape [null,5,3]\nbut got [8,5,4]\n  at checkInputData';
    expect(shortReason(reason)).toBe('the process ended on an uncaught error while the run was open: Error when checking input: expected shape [null,5,3] …');
  });

  it('cuts a long first line at REASON_CHARS characters, ellipsis included', () => {
    const cut = shortReason(`fit() threw: ${'x'.repeat(400)}`);
    expect(cut.length).toBe(REASON_CHARS);
    expect(cut.endsWith('…')).toBe(true);
    expect(runEndText(end({ status: 'failed', reason: `fit() threw: ${'x'.repeat(400)}` }))).toContain(`(${cut})`);
  });
});

describe('formatDuration', () => {
  it('reads as people say it, never in exponent form', () => {
    expect([0.4, 999.4, 1000, 59_940, 59_960, 61_000, 3_599_400, 3_600_000, 36_000_000, 90_061_000].map(formatDuration)).toEqual([
      '0 ms', '999 ms', '1.0 s', '59.9 s', '1 min 0 s', '1 min 1 s', '59 min 59 s', '1 h 0 min', '10 h 0 min', '25 h 1 min',
    ]);
    expect(formatDuration(NaN)).toBe('an unknown time');
  });
});
