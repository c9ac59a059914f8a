import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from './measure-model.js';
import { AlertDetector } from './monitor/alerts.js';
import { describeLayer } from './monitor/console-sink.js';
import { useTestBackend } from './test-helpers/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

/** A SimpleRNN whose recurrent kernel is orthogonal × gain: gain 0.5 contracts every step, gain 2 expands. */
function rnn(gain: number, T: number): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.simpleRNN({
      units: 8,
      inputShape: [T, 2],
      recurrentInitializer: tf.initializers.orthogonal({ gain, seed: 1 }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return model;
}

/** The horizon counted here from the record's own gradNorm, independently of @gradscope/core. */
function countHorizon(g: number[]): number {
  const T = g.length - 1;
  let h = 0;
  while (h < T && g[T - h]! / g[T]! >= 0.1 && g[T - h]! / g[T]! <= 10) h++;
  return h;
}

describe('measureModel carries one diagnosis that console and alerts repeat', () => {
  it('a contracting SimpleRNN: vanishing, the horizon of its own gradNorm, gated-cell remedy, same words everywhere', async () => {
    const T = 30;
    const model = rnn(0.5, T);
    const xs = tf.randomUniform([4, T, 2], -1, 1, 'float32', 4);
    const ys = tf.randomUniform([4, 1], -1, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const [m] = await measureModel(model, { xs, ys });
    expect(tf.memory().numTensors).toBe(before);
    const d = m!.diagnosis!;
    expect(m!.regime).toBe('vanishing');
    expect(d.verdict).toBe(m!.regime);
    const g = m!.gradNorm!.mean;
    expect(d.gradRatio).toBeCloseTo(g[0]! / g[T]!, 5);
    expect(d.horizon.steps).toBe(countHorizon(g));
    expect(d.horizon.steps).toBeLessThan(T);
    expect(d.horizon.timeScale).toBeCloseTo(1 / Math.abs(m!.ftle.mean[0]!), 4);
    expect(d.remedies[0]!.action).toContain('a gated cell');
    // ‖R‖₂ = 0.5 for an orthogonal kernel with gain 0.5.
    expect(d.remedies[1]!.because).toContain('‖R‖₂ = 0.500');

    const line = describeLayer(m!);
    expect(line).toContain(`the loss at T feels the last ${d.horizon.steps} of ${T} steps`);
    const [alert] = new AlertDetector(10).onMeasurement([m!], 0);
    expect(alert!.kind).toBe('vanishing');
    expect(alert!.message).toContain(d.reason);
    expect(alert!.message).toContain(`Try: ${d.remedies[0]!.action}`);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('an expanding SimpleRNN: exploding, with a clip threshold at the median of the gradient norms it is given', async () => {
    const T = 30;
    const model = rnn(2, T);
    const xs = tf.randomUniform([4, T, 2], -0.1, 0.1, 'float32', 4);
    const ys = tf.randomUniform([4, 1], -1, 1, 'float32', 5);
    const [m] = await measureModel(model, { xs, ys }, { gradNormHistory: [0.2, 0.4, 9] });
    expect(m!.regime).toBe('exploding');
    expect(m!.diagnosis!.remedies[0]!.action).toBe('withClipping(optimizer, { globalClipNorm: 0.4 })');
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
