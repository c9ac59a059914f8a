import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { derivative } from './fast-step.js';
import { gruFastCell, gruForward } from './gru.js';
import { readCellWeights } from './linearization.js';
import { lstmFastCell, lstmForward } from './lstm.js';
import { simpleRNNFastCell, simpleRNNPreActivation } from './simple-rnn.js';

beforeAll(async () => {
  await useTestBackend();
});

/**
 * The fast steps' backward makes its forward-only factors for all steps at
 * once (StepFactors) but multiplies them in the order the per-step backward
 * did, so measureModel's numbers did not move. fast-step.test.ts compares
 * with tfjs's autodiff to a tolerance, which a reordered product passes;
 * here one step's cotangents must equal, to the bit, the per-step formulas
 * written out below (the backward as it was before the batching).
 */
const samples = 5;
const random = (shape: [number, number], seed: number, scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale) as tf.Tensor2D;
const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** ∂/∂states of Σ_i Σ (state_i ⊙ w_i) through one fast step: its backward receives exactly w. */
function fastGradients(step: (x: tf.Tensor, states: tf.Tensor[]) => tf.Tensor[], x: tf.Tensor, states: tf.Tensor[], w: tf.Tensor[]): tf.Tensor[] {
  return tf.grads((...s: tf.Tensor[]) => tf.addN(step(x, s).map((out, i) => tf.sum(tf.mul(out, w[i]!)))) as tf.Scalar)(states);
}

function build(cell: any): void {
  tf.tidy(() => void tf.layers.rnn({ cell }).apply(tf.zeros([1, 1, 4])));
  // Larger weights, so that hardSigmoid saturates for some units (its derivative 0 there).
  for (const v of [cell.kernel, cell.recurrentKernel]) v.write(tf.tidy(() => tf.mul(v.read(), 3)));
}

describe('fast steps: the backward with batched factors gives the per-step cotangents to the bit', () => {
  it('LSTM (hardSigmoid, tanh)', () => {
    const n = 6;
    const cell: any = tf.layers.lstmCell({ units: n });
    build(cell);
    const fast = lstmFastCell(cell)!;
    const [x, h, c, wh, wc] = [random([samples, 4], 1, 3), random([samples, n], 2), random([samples, n], 3, 2), random([samples, n], 4), random([samples, n], 5)];
    const [gh, gc] = fastGradients((xx, s) => fast.step(xx, s), x, [h, c], [wh, wc]);
    const [rh, rc] = tf.tidy(() => {
      const w = readCellWeights(cell);
      const s = lstmForward(cell, w, tf.matMul(x, w.kernel), h, c);
      const [rec, act] = [cell.recurrentActivation, cell.activation];
      expect(tf.min(derivative(rec, s.zi, s.i)).dataSync()[0]).toBe(0); // some unit saturated
      const cTotal = tf.add(wc, tf.mul(tf.mul(wh, s.o), derivative(act, s.c, s.phiC)));
      const dz = tf.concat([
        tf.mul(tf.mul(cTotal, s.g), derivative(rec, s.zi, s.i)),
        tf.mul(tf.mul(cTotal, c), derivative(rec, s.zf, s.f)),
        tf.mul(tf.mul(cTotal, s.i), derivative(act, s.zc, s.g)),
        tf.mul(tf.mul(wh, s.phiC), derivative(rec, s.zo, s.o)),
      ], 1) as tf.Tensor2D;
      return [tf.matMul(dz, tf.transpose(w.recurrent)), tf.mul(cTotal, s.f)];
    });
    expect(bits(gh!)).toEqual(bits(rh!));
    expect(bits(gc!)).toEqual(bits(rc!));
    fast.dispose();
    tf.dispose([x, h, c, wh, wc, gh!, gc!, rh!, rc!]);
  });

  it('GRU (hardSigmoid, tanh)', () => {
    const n = 6;
    const cell: any = tf.layers.gruCell({ units: n });
    build(cell);
    const fast = gruFastCell(cell)!;
    const [x, h, g] = [random([samples, 4], 11, 3), random([samples, n], 12), random([samples, n], 13)];
    const [got] = fastGradients((xx, s) => fast.step(xx, s), x, [h], [g]);
    const want = tf.tidy(() => {
      const w = readCellWeights(cell);
      const [rzr, rh] = tf.split(w.recurrent, [2 * n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
      const s = gruForward(cell, w, { rzr, rh }, tf.matMul(x, w.kernel), h);
      const [rec, act] = [cell.recurrentActivation, cell.activation];
      expect(tf.min(derivative(rec, s.az, s.z)).dataSync()[0]).toBe(0); // some unit saturated
      const daz = tf.mul(tf.mul(g, tf.sub(h, s.candidate)), derivative(rec, s.az, s.z));
      const dah = tf.mul(tf.mul(g, tf.sub(1, s.z)), derivative(act, s.ah, s.candidate)) as tf.Tensor2D;
      const q = tf.matMul(dah, tf.transpose(rh));
      const dar = tf.mul(tf.mul(q, h), derivative(rec, s.ar, s.r));
      const dzr = tf.concat([daz, dar], 1) as tf.Tensor2D;
      return tf.addN([tf.mul(g, s.z), tf.mul(q, s.r), tf.matMul(dzr, tf.transpose(rzr))]);
    });
    expect(bits(got!)).toEqual(bits(want));
    fast.dispose();
    tf.dispose([x, h, g, got!, want]);
  });

  it('SimpleRNN (tanh)', () => {
    const n = 6;
    const cell: any = tf.layers.simpleRNNCell({ units: n });
    build(cell);
    const fast = simpleRNNFastCell(cell)!;
    const [x, h, dy] = [random([samples, 4], 21, 3), random([samples, n], 22), random([samples, n], 23)];
    const [got] = fastGradients((xx, s) => fast.step(xx, s), x, [h], [dy]);
    const want = tf.tidy(() => {
      const w = readCellWeights(cell);
      const a = simpleRNNPreActivation(w, tf.matMul(x, w.kernel), h);
      const da = tf.mul(dy, derivative(cell.activation, a, cell.activation.apply(a))) as tf.Tensor2D;
      return tf.matMul(da, tf.transpose(w.recurrent));
    });
    expect(bits(got!)).toEqual(bits(want));
    fast.dispose();
    tf.dispose([x, h, dy, got!, want]);
  });
});
