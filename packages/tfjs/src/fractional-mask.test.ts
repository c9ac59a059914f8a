import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCellSequence, cellJacobians } from './cell-jacobians.js';
import { findRecurrentLayers } from './recurrent-layers.js';
import { useTestBackend } from './test-helpers/backend.js';
import { probeInputs } from './test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('a mask that is not 0 or 1', () => {
  // tfjs's rnn() applies cast(cast(mask, 'bool'), 'float32'), not the mask
  // as given: on the cpu backend 0.5 becomes 1 (a step taken), on wasm, whose
  // Cast truncates, 0. The Jacobians must describe the steps tfjs takes, and
  // the J Jᵀ operator's blend with the identity (cell-sequence.ts) is only
  // right for masks of exactly 0 or 1.
  const n = 40; // > 32 default Lanczos steps: spectralNorm runs on J Jᵀ
  const [s, t] = [2, 3];
  const build = () => {
    const layer = tf.layers.simpleRNN({ units: n, recurrentInitializer: tf.initializers.orthogonal({ seed: 3, gain: 3 }), kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
    const xs = probeInputs(s, t, 4, 5);
    tf.tidy(() => void layer.apply(xs));
    return { layer, xs };
  };

  it('0.5 means what it means to tfjs: ‖J_t‖ as with the mask tfjs applies', async () => {
    const { layer, xs } = build();
    const half = tf.tensor2d([[0.5, 1, 0.5], [1, 0.5, 1]]);
    const ones = tf.tidy(() => tf.cast(tf.cast(half, 'bool'), 'float32')) as tf.Tensor2D; // what rnn() uses
    // tfjs itself: the same outputs under both masks.
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(layer.apply(xs, { mask: half }) as tf.Tensor, layer.apply(xs, { mask: ones }) as tf.Tensor))).dataSync()[0]);
    expect(same).toBe(0);
    const norms = async (mask: tf.Tensor2D) => {
      const [c] = cellJacobians(layer, xs, { method: 'analytic', mask });
      const got = await spectralNorm(c!.sequence.all());
      c!.sequence.dispose();
      return got;
    };
    const [got, want] = [await norms(half), await norms(ones)];
    const worst = Math.max(...got.map((x, i) => Math.abs(x - want[i]!) / want[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([half, ones, xs]);
    layer.dispose();
  });

  it('applyOuter is apply after applyTranspose on the masked operator', () => {
    const { layer, xs } = build();
    const half = tf.tensor2d([[0.5, 1, 0.5], [1, 0.5, 1]]);
    const [c] = cellJacobians(layer, xs, { method: 'analytic', mask: half });
    const op = c!.sequence.all();
    const w = tf.randomNormal([s * t, 1, n], 0, 1, 'float32', 8) as tf.Tensor3D;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(op.applyOuter!(w), op.apply(op.applyTranspose(w))))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-4);
    c!.sequence.dispose();
    tf.dispose([w, half, xs]);
    layer.dispose();
  });
});

describe('the J Jᵀ operator and a mask that stays non-binary', () => {
  it('a mask factor other than 0 or 1 (a 2 that the backend kept) gives no applyOuter; 0 and 1 do', () => {
    const n = 5;
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: n, inputShape: [3, 4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
    const xs = probeInputs(2, 3, 4, 5);
    const cell = findRecurrentLayers(model)[0]!.cells[0]!;
    const record = (mask: number[][]) => ({ x: xs, sPrev: tf.zeros([2, 3, n]) as tf.Tensor3D, mask: tf.tensor2d(mask) });
    for (const [mask, offered] of [[[[1, 0, 1], [1, 1, 0]], true], [[[1, 2, 1], [1, 1, 0]], false]] as [number[][], boolean][]) {
      const r = record(mask);
      const { sequence } = buildCellSequence(cell, r, 'analytic');
      expect(typeof sequence.all().applyOuter === 'function').toBe(offered);
      sequence.dispose();
      tf.dispose([r.sPrev, r.mask]);
    }
    xs.dispose();
    model.dispose();
  });
});
