import * as tf from '@tensorflow/tfjs';
import { spectralNorm, stepNorms } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCellSequence } from './cell-jacobians.js';
import { MeasureCache } from './measure-cache.js';
import { measureModel } from './measure-model.js';
import { disposeRecord, probeRun } from './probe-run.js';
import { selectRecurrentLayers } from './recurrent-layers.js';
import { useTestBackend } from './test-helpers/backend.js';
import { probeInputs } from './test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

function seeded(n: number, activation: 'tanh' | 'relu', steps: number, lr: number, seed: number, bias?: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.simpleRNN({ units: n, activation, inputShape: [steps, 3], kernelInitializer: tf.initializers.glorotUniform({ seed }), recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1000 }) }));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2000 }) }));
  model.compile({ optimizer: tf.train.adam(lr), loss: 'meanSquaredError' });
  if (bias !== undefined) {
    const [k, r, b] = model.layers[0]!.getWeights();
    const nb = tf.fill(b!.shape, bias);
    model.layers[0]!.setWeights([k!, r!, nb]);
    nb.dispose();
  }
  return model;
}

/** σ_max of every (sample, step) map for the current weights (n Golub–Kahan steps on the autodiff Jacobians), and the library's warm per-map σ from the cache. */
async function perMap(model: tf.LayersModel, xs: tf.Tensor, cache: MeasureCache) {
  const targets = selectRecurrentLayers(model);
  const records = probeRun(model, targets, xs);
  const cell = targets[0]!.cells[0]!;
  const [S, T, n] = records[0]![0]!.sPrev.shape;
  // The reference: a complete Krylov space (n Golub–Kahan steps, exact to rounding) on the autodiff Jacobians.
  const auto = buildCellSequence(cell, records[0]![0]!, 'autodiff');
  const exact = await spectralNorm(auto.sequence.all(), { iterations: n, tolerance: 0 });
  auto.sequence.dispose();
  const { sequence } = buildCellSequence(cell, records[0]![0]!, 'analytic');
  const start = cache.start(cell.name, S * T, n)!;
  const library = (await stepNorms(sequence, { start, warm: true })).stepNorm.flat();
  sequence.dispose();
  records.flat().forEach(disposeRecord);
  return { exact, library, T };
}

/**
 * A ReLU SimpleRNN (n = 64) whose negative bias leaves steps with two live
 * units: J Jᵀ has rank 2 there, and the warm block run (core's lobpcg.ts)
 * once made its third direction of rounding and reported σ up to 700 times
 * σ_max (an integration review found it; the fresh model's cold measurement
 * takes the block too, from its exact structural start). The reference is
 * n Golub–Kahan steps (a complete Krylov space) on the autodiff Jacobians.
 */
describe('a ReLU SimpleRNN with steps of two live units (J Jᵀ of rank 2)', () => {
  it('σ within 1e-5 of the autodiff Jacobians\' complete Krylov space, cold and warm over three training rounds', async () => {
    let worstOver = 0;
    for (const bias of [-0.3, -0.4, -0.5]) {
      const model = seeded(64, 'relu', 20, 0.01, 5, bias);
      const xs = probeInputs(4, 20, 3, 3);
      const ys = tf.randomNormal([4, 1], 0, 1, 'float32', 4);
      const trainX = probeInputs(16, 20, 3, 11);
      const trainY = tf.randomNormal([16, 1], 0, 1, 'float32', 12);
      const cache = new MeasureCache();
      const cold = (await measureModel(model, { xs, ys }, { cache }))[0]!;
      worstOver = Math.max(worstOver, Math.max(...cold.stepNorm.max) - 1);
      for (let round = 1; round <= 3; round++) {
        for (let i = 0; i < 3; i++) await model.trainOnBatch(trainX, trainY);
        const { exact, library } = await perMap(model, xs, cache);
        // A step with no live unit is 0 (and must come out 0).
        library.forEach((v, i) => (worstOver = Math.max(worstOver, exact[i] === 0 ? Math.abs(v) : Math.abs(v - exact[i]!) / exact[i]!)));
        await measureModel(model, { xs, ys }, { cache });
      }
      cache.dispose();
      model.dispose();
      tf.dispose([xs, ys, trainX, trainY]);
    }
    expect(worstOver).toBeLessThan(1e-5);
  });

});
