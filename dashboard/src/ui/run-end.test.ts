import { describe, expect, it } from 'vitest';
import { exampleEvent, type RunEndEvent } from '@gradscope/protocol';
import { compareEndText, formatDuration, REASON_CHARS, runEndText, shortReason } from './run-end.js';

const end = (over: Partial<RunEndEvent>, totals: Partial<RunEndEvent['totals']> = {}): RunEndEvent => {
  const base = exampleEvent('run-end');
  return { ...base, ...over, totals: { ...base.totals, ...totals } };
};

// The status and reason pairs are the ones the monitor writes (run-session.ts, monitor.ts).
describe('runEndText', () => {
  it('says why a run stopped on NaN, what it recorded and what the monitor cost', () => {
    const text = runEndText(end({ status: 'stopped', reason: 'stopOnNaN: loss is NaN at step 36' }, { steps: 37, measurements: 12, alerts: 2, clips: 0, durationMs: 4_130, monitorShare: 0.0342, waitShare: 0.0499, slowdownShare: 0.0123 }));
    expect(text).toBe('Stopped (stopOnNaN: loss is NaN at step 36) after 37 steps: 12 measurements, 2 alerts, 0 clips, in 4.1 s; the monitor took 3.42% of training time on its thread; beside the measurement worker training waited 4.99% for a core, and its steps\' excess over steps while the worker rested came to 1.23%.');
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

  it('shows the first line of a multi-line reason, marked as cut, whatever ends the line', () => {
    // endAtExit's reason ends with the uncaught error's message, which tfjs often spreads over lines.
    const head = 'the process ended on an uncaught error while the run was open: Error when checking input: expected shape [null,5,3]';
    for (const br of ['\n', '\r\n', '\r', '\u2028']) expect(shortReason(`${head}${br}but got [8,5,4]${br}  at checkInputData`)).toBe(`${head} …`);
    expect(shortReason(`\n\n  ${head}  \n`)).toBe(head);
  });

  it('never exceeds REASON_CHARS characters, ellipsis included, and never splits a character', () => {
    const lengths = (r: string) => [...shortReason(r)].length;
    expect(lengths(`fit() threw: ${'x'.repeat(400)}`)).toBe(REASON_CHARS);
    expect(lengths('x'.repeat(REASON_CHARS))).toBe(REASON_CHARS); // exactly at the cap: kept whole
    expect(shortReason('x'.repeat(REASON_CHARS))).not.toContain('…');
    for (const n of [REASON_CHARS - 2, REASON_CHARS - 1, REASON_CHARS]) {
      const cut = shortReason(`${'x'.repeat(n)}\nmore`);
      expect([...cut].length).toBeLessThanOrEqual(REASON_CHARS);
      expect(cut.endsWith('…')).toBe(true);
    }
    const emoji = shortReason(`${'x'.repeat(REASON_CHARS - 2)}😀😀😀`);
    expect(emoji).toBe(`${'x'.repeat(REASON_CHARS - 2)}😀…`);
    expect(runEndText(end({ status: 'failed', reason: `fit() threw: ${'x'.repeat(400)}` }))).toContain(`(${shortReason(`fit() threw: ${'x'.repeat(400)}`)})`);
  });

  it('a reason of whitespace alone is no reason', () => {
    expect(shortReason(' \n ')).toBe('');
    expect(runEndText(end({ status: 'failed', reason: ' \n ' }, { steps: 2 }))).toMatch(/^Failed after 2 steps:/);
  });
});

describe('compareEndText', () => {
  const base = { name: 'gru run', end: null, step: 12 };
  it('once its run-end is held, says what the shown run line would', () => {
    const e = end({ status: 'stopped', reason: 'stopOnNaN: loss is NaN at step 36' }, { steps: 37 });
    expect(compareEndText({ ...base, status: 'live', end: e })).toBe(`Compared with gru run — ${runEndText(e)}`);
  });

  it('before that, what the server says, claiming no more than its status means', () => {
    expect(compareEndText({ ...base, status: 'live' })).toBe('Compared with gru run — Still running, at step 12.');
    // incomplete: no run-end and no publisher now, which a run written to a logdir without a url also is.
    expect(compareEndText({ ...base, status: 'incomplete' })).toBe('Compared with gru run — No run-end, and nothing is publishing it now, at step 12.');
    expect(compareEndText({ ...base, status: 'incomplete', step: 0 })).toBe('Compared with gru run — No run-end, and nothing is publishing it now, at step 0.');
    expect(compareEndText({ ...base, status: 'completed' })).toBe('Compared with gru run — Completed; its run-end has not arrived yet.');
    expect(compareEndText({ ...base, status: null })).toBe("Compared with gru run — Not in the server's run list yet, at step 12.");
    expect(compareEndText({ ...base, status: null, step: null })).toBe('Compared with gru run — No events from it yet.');
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
