import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from './test-helpers/backend.js';
import { withClipping, type ClipReport } from './with-clipping.js';

beforeAll(async () => {
  await useTestBackend();
});

let unique = 0;
/**
 * Two variables at 0, one SGD(lr = 1) step through the wrapper with the
 * gradients a = [3, 4] (‖a‖ = 5) and b = [12] (‖b‖ = 12); global norm
 * √(9 + 16 + 144) = 13. Returns the new values (= −applied gradient) and the report.
 */
function oneStep(options: Parameters<typeof withClipping>[1]): { a: number[]; b: number[]; report: ClipReport } {
  const id = unique++;
  const a = tf.variable(tf.zeros([2]), true, `clip_test_a_${id}`);
  const b = tf.variable(tf.zeros([1]), true, `clip_test_b_${id}`);
  const opt = withClipping(tf.train.sgd(1), options);
  const grads = { [a.name]: tf.tensor1d([3, 4]), [b.name]: tf.tensor1d([12]) };
  opt.applyGradients(grads);
  const out = { a: Array.from(a.dataSync()).map((v) => -v), b: Array.from(b.dataSync()).map((v) => -v), report: opt.lastReport! };
  tf.dispose([a, b, ...Object.values(grads)]);
  opt.dispose();
  return out;
}

const close = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));

describe('withClipping: the clipped update equals the hand-computed one', () => {
  it('record-only: no change, norms reported', () => {
    const { a, b, report } = oneStep({});
    close(a, [3, 4]);
    close(b, [12]);
    expect(report.globalNormBefore).toBeCloseTo(13, 5);
    expect(report.globalNormAfter).toBeCloseTo(13, 5);
    expect(Object.values(report.norms).map((v) => +v.toFixed(5))).toEqual([5, 12]);
    expect(report.clipped).toEqual([]);
    expect(report.learningRate).toBe(1);
  });

  it('globalClipNorm 1.3: every gradient × 1.3/13 = 0.1', () => {
    const { a, b, report } = oneStep({ globalClipNorm: 1.3 });
    close(a, [0.3, 0.4]);
    close(b, [1.2]);
    expect(report.globalNormAfter).toBeCloseTo(1.3, 5);
    expect(report.clipped.map((c) => +c.factor.toFixed(6))).toEqual([0.1, 0.1]);
  });

  it('clipNorm 6: a (‖a‖ = 5) untouched, b scaled by 6/12', () => {
    const { a, b, report } = oneStep({ clipNorm: 6 });
    close(a, [3, 4]);
    close(b, [6]);
    expect(report.clipped.length).toBe(1);
    expect(report.clipped[0]!.factor).toBeCloseTo(0.5, 6);
    expect(report.globalNormAfter).toBeCloseTo(Math.sqrt(25 + 36), 5);
  });

  it('clipValue 3.5: entries clamped, fraction clamped reported', () => {
    const { a, b, report } = oneStep({ clipValue: 3.5 });
    close(a, [3, 3.5]);
    close(b, [3.5]);
    expect(report.clipped.map((c) => c.factor)).toEqual([0.5, 1]);
    expect(report.globalNormAfter).toBeCloseTo(Math.sqrt(9 + 12.25 + 12.25), 5);
  });

  it('rejects bad options with an error naming them', () => {
    const sgd = tf.train.sgd(0.1);
    expect(() => withClipping(sgd, { clipnorm: 1 } as any)).toThrow(/unknown option 'clipnorm'/);
    expect(() => withClipping(sgd, { clipNorm: 1, clipValue: 1 })).toThrow(/at most one.*clipNorm and clipValue/);
    expect(() => withClipping(sgd, { globalClipNorm: -1 })).toThrow(/globalClipNorm must be a positive/);
    expect(() => withClipping({} as any, {})).toThrow(/tfjs optimizer/);
  });
});

describe('withClipping in compile', () => {
  const optimizers: Record<string, () => tf.Optimizer> = {
    sgd: () => tf.train.sgd(0.1),
    momentum: () => tf.train.momentum(0.1, 0.9),
    adagrad: () => tf.train.adagrad(0.1),
    adadelta: () => tf.train.adadelta(0.1),
    adam: () => tf.train.adam(0.01),
    adamax: () => tf.train.adamax(0.01),
    rmsprop: () => tf.train.rmsprop(0.01),
  };
  for (const [name, make] of Object.entries(optimizers)) {
    it(`works with ${name} in fit and trainOnBatch`, async () => {
      const model = tf.sequential();
      model.add(tf.layers.lstm({ units: 4, inputShape: [5, 2] }));
      model.add(tf.layers.dense({ units: 1 }));
      const opt = withClipping(make(), { globalClipNorm: 0.01 });
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const x = tf.randomNormal([8, 5, 2], 0, 1, 'float32', 1);
      const y = tf.randomNormal([8, 1], 0, 1, 'float32', 2);
      const reports: ClipReport[] = [];
      opt.onStep((r) => reports.push(r));
      const before = tf.memory().numTensors;
      await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
      await model.trainOnBatch(x, y);
      expect(reports.length).toBe(5);
      expect(reports.every((r) => r.globalNormAfter <= 0.01 + 1e-6)).toBe(true);
      expect(reports[4]!.iteration).toBe(4);
      // Optimizer slots are created on the first step; after that nothing grows.
      const settled = tf.memory().numTensors;
      await model.trainOnBatch(x, y);
      expect(tf.memory().numTensors).toBe(settled);
      expect(settled).toBeGreaterThanOrEqual(before);
      tf.dispose([x, y]);
    });
  }
});

describe('withClipping on an exploding SimpleRNN', () => {
  it('converges where the unclipped run diverges (gain 1.2, SGD 0.3, T = 30)', async () => {
    // Found by a grid over gain ∈ {1.2, 1.6}, lr ∈ {0.3, 1}: every unclipped
    // run went to NaN; here the clipped one learns the task.
    const run = async (clip: boolean) => {
      const model = tf.sequential();
      model.add(
        tf.layers.simpleRNN({
          units: 16,
          inputShape: [30, 2],
          recurrentInitializer: tf.initializers.orthogonal({ gain: 1.2, seed: 1 }),
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
      );
      model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
      const sgd = tf.train.sgd(0.3);
      const opt = clip ? withClipping(sgd, { globalClipNorm: 0.5 }) : sgd;
      let clipEvents = 0;
      if (clip) (opt as ReturnType<typeof withClipping>).onStep((r) => (clipEvents += r.clipped.length > 0 ? 1 : 0));
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const x = tf.randomUniform([64, 30, 2], -1, 1, 'float32', 5);
      const y = tf.sum(x.slice([0, 25, 0], [-1, 5, 1]), 1); // sum of the last five first features
      // shuffle: false — the batch is the whole set, but summation order changes
      // rounding, and this run is chaotic enough for that to matter.
      const history = await model.fit(x, y, { epochs: 40, batchSize: 64, verbose: 0, shuffle: false });
      tf.dispose([x, y]);
      return { loss: history.history.loss!.map(Number), clipEvents };
    };
    const plain = await run(false);
    const clipped = await run(true);
    const initial = plain.loss[0]!;
    expect(clipped.loss[0]).toBeCloseTo(initial, 5); // same model, same data
    // Diverged: NaN/∞, or a loss a thousand times the start.
    expect(plain.loss.some((l) => !Number.isFinite(l) || l > 1000 * initial)).toBe(true);
    expect(clipped.loss.at(-1)!).toBeLessThan(initial / 10);
    expect(clipped.clipEvents).toBeGreaterThan(0);
  });
});
