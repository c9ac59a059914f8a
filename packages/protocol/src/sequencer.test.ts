import { describe, expect, it } from 'vitest';
import { encodeEvent } from './encode.js';
import { PROTOCOL_VERSION } from './events.js';
import { EventSequencer } from './sequencer.js';
import { validateEvent } from './validate.js';

describe('EventSequencer', () => {
  it('stamps version, run id, gap-free seq from 0, and time', () => {
    let clock = 1000;
    const seq = new EventSequencer('run-a', { now: () => clock++ });
    const a = seq.stamp({ type: 'train-step', step: 0, epoch: 0, loss: 0.5, metrics: {}, gradNormBefore: 1, gradNormAfter: 1, learningRate: null });
    const b = seq.stamp({ type: 'alert', step: 0, epoch: 0, kind: 'grad-spike', severity: 'info', message: 'x', time: 5 });
    expect(a).toMatchObject({ version: PROTOCOL_VERSION, runId: 'run-a', seq: 0, time: 1000, type: 'train-step', loss: 0.5 });
    expect(b).toMatchObject({ seq: 1, time: 5, kind: 'grad-spike' });
    expect(seq.nextSeq).toBe(2);
    expect(validateEvent(a)).toBe(a);
    expect(validateEvent(b)).toBe(b);
    // Typed by the body's type: no narrowing needed.
    expect(a.gradNormAfter).toBe(1);
  });

  it('puts the envelope first in the encoded line', () => {
    const e = new EventSequencer('run-a', { now: () => 7 }).stamp({ type: 'run-end', step: 3, epoch: 1, status: 'completed', reason: null, totals: { steps: 3, epochs: 1, measurements: 0, clips: 0, alerts: 0, durationMs: 9 } });
    expect(encodeEvent(e)).toMatch(/^\{"version":1,"type":"run-end","runId":"run-a","seq":0,"step":3,"epoch":1,"time":7,"status"/);
  });

  it('continues from firstSeq, and rejects bad run ids and seqs', () => {
    expect(new EventSequencer('r', { firstSeq: 41 }).nextSeq).toBe(41);
    expect(() => new EventSequencer('../r')).toThrow(/^runId: /);
    expect(() => new EventSequencer('r', { firstSeq: -1 })).toThrow('firstSeq must be an integer ≥ 0, got -1');
  });
});
