import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { listCustomGrad } from './list-custom-grad.js';
import { useTestBackend } from './test-helpers/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('listCustomGrad', () => {
  it('passes the inputs as a list and the backward one cotangent tensor; its gradients are what the backward returns', () => {
    const seen: { inputs: number; dyIsTensor: boolean }[] = [];
    // f(a, b) = a·b elementwise, with the backward of a·b written out, and scaled by 2 so the result is ours, not tfjs's.
    const f = listCustomGrad((inputs) => {
      seen.push({ inputs: inputs.length, dyIsTensor: false });
      const [a, b] = inputs as [tf.Tensor, tf.Tensor];
      return {
        value: tf.mul(a, b),
        gradFunc: (dy) => {
          seen[seen.length - 1]!.dyIsTensor = dy instanceof tf.Tensor;
          return [tf.mul(tf.mul(dy, b), 2), tf.mul(tf.mul(dy, a), 2)];
        },
      };
    });
    const before = tf.memory().numTensors;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor1d([4, 5, 6]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(f(x, y)))([a, b]);
    expect(Array.from(ga!.dataSync())).toEqual([8, 10, 12]);
    expect(Array.from(gb!.dataSync())).toEqual([2, 4, 6]);
    expect(seen).toEqual([{ inputs: 2, dyIsTensor: true }]);
    tf.dispose([a, b, ga!, gb!]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
