import { describe, expect, it } from 'vitest';
import { AlertDetector, REALERT_AFTER_STEPS } from './alerts.js';

describe('AlertDetector', () => {
  it('flags a gradient spike against the running median once per episode', () => {
    const d = new AlertDetector(10);
    for (let i = 0; i < 10; i++) expect(d.onTrainStep(1, 1 + 0.01 * i)).toEqual([]);
    // The median of 1.00..1.09 is 1.045, so the threshold is 10.45.
    expect(d.onTrainStep(1, 10)).toEqual([]);
    const spike = d.onTrainStep(1, 50);
    expect(spike.map((a) => [a.kind, a.severity])).toEqual([['grad-spike', 'warning']]);
    expect(spike[0]!.threshold).toBeCloseTo(10.5, 1); // median of 1.00..1.09 and 10 is 1.05
    expect(d.onTrainStep(1, 60)).toEqual([]); // same episode
    expect(d.onTrainStep(1, 1)).toEqual([]); // back down
    expect(d.onTrainStep(1, 80).map((a) => a.kind)).toEqual(['grad-spike']); // a new episode
  });

  it('flags non-finite loss and gradient once on the transition', () => {
    const d = new AlertDetector(10);
    expect(d.onTrainStep(NaN, 1).map((a) => a.kind)).toEqual(['non-finite']);
    expect(d.onTrainStep(NaN, 1)).toEqual([]);
    expect(d.onTrainStep(1, Infinity).map((a) => a.message)).toEqual(['gradient norm became Infinity']);
  });

  it('alerts a layer flipping in and out of a regime once, and again after REALERT_AFTER_STEPS steps out of it', () => {
    const d = new AlertDetector(10);
    const layer = (regime: string, name = 'rnn') => ({ layer: name, steps: 50, regime, gradNorm: null, ftle: { mean: [-0.1], min: [-0.1], max: [-0.1] } }) as any;
    let step = 0;
    const kinds = (regime: string, name?: string) => d.onMeasurement([layer(regime, name)], step++).map((a) => a.kind);
    expect(kinds('vanishing')).toEqual(['vanishing']);
    // On the threshold: out and back in at every measurement, for 30 steps.
    for (let i = 0; i < 15; i++) {
      expect(kinds('stable')).toEqual([]);
      expect(kinds('vanishing')).toEqual([]);
    }
    // Another layer is its own: alerted at once.
    expect(kinds('vanishing', 'gru')).toEqual(['vanishing']);
    // Between two bad regimes: each alerted once.
    expect(kinds('exploding')).toEqual(['exploding']);
    for (let i = 0; i < 10; i++) {
      expect(kinds('vanishing')).toEqual([]);
      expect(kinds('exploding')).toEqual([]);
    }
    // Back after fewer steps out than REALERT_AFTER_STEPS: quiet; after that many: alerted.
    const lastVanishing = step - 2;
    step = lastVanishing + REALERT_AFTER_STEPS - 1;
    expect(kinds('vanishing')).toEqual([]);
    expect(kinds('stable')).toEqual([]);
    step += REALERT_AFTER_STEPS;
    expect(kinds('vanishing')).toEqual(['vanishing']);
    // A measurement of an earlier step arriving late is recent.
    expect(kinds('stable')).toEqual([]);
    step -= 5;
    expect(kinds('vanishing')).toEqual([]);
  });

  it('alerts a non-finite measurement at every entry (an error)', () => {
    const d = new AlertDetector(10);
    const layer = (regime: string) => ({ layer: 'rnn', steps: 50, regime, gradNorm: null, ftle: { mean: [NaN], min: [NaN], max: [NaN] } }) as any;
    expect(d.onMeasurement([layer('non-finite')], 0).map((a) => a.kind)).toEqual(['non-finite']);
    expect(d.onMeasurement([layer('stable')], 1)).toEqual([]);
    expect(d.onMeasurement([layer('non-finite')], 2).map((a) => a.kind)).toEqual(['non-finite']);
  });

  it('raises a λ₁ crossing only outside the dead band |T·λ₁| < 0.5', () => {
    const d = new AlertDetector(10);
    const layer = (lambda1: number) => ({ layer: 'rnn', steps: 100, regime: 'stable', gradNorm: null, ftle: { mean: [lambda1], min: [lambda1], max: [lambda1] } }) as any;
    expect(d.onMeasurement([layer(-0.02)], 0)).toEqual([]); // T·λ₁ = −2: the reference sign
    expect(d.onMeasurement([layer(0.002)], 1)).toEqual([]); // +0.2: inside the band, ignored
    expect(d.onMeasurement([layer(-0.003)], 2)).toEqual([]);
    const up = d.onMeasurement([layer(0.01)], 3); // +1: a real crossing
    expect(up.map((a) => [a.kind, a.value])).toEqual([['lyapunov-crossing', 0.01]]);
    expect(d.onMeasurement([layer(0.02)], 4)).toEqual([]);
  });
});
