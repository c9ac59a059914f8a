import { describe, expect, it } from 'vitest';
import { exampleEvents, exampleNonFiniteAlert } from './examples.js';
import { formatEvent, formatNumber } from './format.js';
import { validateEvent } from './validate.js';

describe('formatEvent', () => {
  it('gives one line per event of every type', () => {
    const text = exampleEvents().map(formatEvent);
    for (const line of text) expect(line).not.toContain('\n');
    expect(text).toEqual([
      'step 0 ep 0 run-start 20250301-142233-017-adding-lstm-vs-rnn "adding: LSTM vs SimpleRNN" lstm_1(lstm 4) simple_rnn_1(simpleRNN 4) on wasm',
      'step 0 ep 0 train-step loss 0.173 mae 0.335 ‖g‖ 2.73→1 lr 0.001',
      'step 0 ep 0 measurement lstm_1 stable λ₁ -0.0402 β 0.989 g₀/g_T 0.786 | simple_rnn_1 vanishing λ₁ -0.696 β 0.58 g₀/g_T 0.0154 (86.4 ms)',
      'step 0 ep 0 clip globalClipNorm 1 8 tensors ‖g‖ 2.73 ×0.366',
      'step 0 ep 0 alert [warning] vanishing simple_rnn_1: gradNorm[0]/gradNorm[T] = 0.0154 < 0.05: the first steps receive almost no gradient',
      'step 0 ep 0 run-end completed after 1 steps, 1 measurements, 1 alerts; the monitor took 3.1% of training time on its thread',
    ]);
    expect(formatEvent(exampleNonFiniteAlert())).toBe('step 36 ep 0 alert [error] non-finite: loss is NaN at step 36');
  });

  it('says what the monitor cost when run-end reports it, and nothing when it does not (older callbacks)', () => {
    const end = exampleEvents().find((e) => e.type === 'run-end')!;
    if (end.type !== 'run-end') throw new Error('no run-end example');
    const withWait = { ...end, totals: { ...end.totals, monitorShare: 0.0273, waitShare: 0.0412, slowdownShare: 0.0465 } };
    expect(formatEvent(withWait)).toBe('step 0 ep 0 run-end completed after 1 steps, 1 measurements, 1 alerts; the monitor took 2.73% of training time on its thread; beside the measurement worker training waited 4.12% for a core, and its steps\' excess over steps while the worker rested came to 4.65%');
    // A page: no wait is read, the steps' excess is.
    const inPage = { ...end, totals: { ...end.totals, monitorShare: 0.0273, waitShare: null, slowdownShare: 0.031 } };
    expect(formatEvent(inPage)).toBe('step 0 ep 0 run-end completed after 1 steps, 1 measurements, 1 alerts; the monitor took 2.73% of training time on its thread; beside the measurement worker its steps\' excess over steps while the worker rested came to 3.1%');
    expect(() => validateEvent(JSON.parse(JSON.stringify(inPage)))).not.toThrow();
    expect(() => validateEvent(JSON.parse(JSON.stringify({ ...end, totals: { ...end.totals, slowdownShare: -0.01 } })))).toThrow(/run-end\.totals\.slowdownShare/);
    const { monitorShare: _m, waitShare: _w, ...older } = end.totals;
    expect(formatEvent({ ...end, totals: older })).toBe('step 0 ep 0 run-end completed after 1 steps, 1 measurements, 1 alerts');
    expect(() => validateEvent(JSON.parse(JSON.stringify({ ...end, totals: older })))).not.toThrow();
  });

  it('shows non-finite and missing numbers instead of hiding them', () => {
    expect([NaN, Infinity, -Infinity, null, 0, 1234.5, 1e-7, 2e9].map(formatNumber)).toEqual(['NaN', 'Infinity', '-Infinity', '–', '0', '1230', '1.00e-7', '2.00e+9']);
  });
});
