import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOST_SPLIT, splitAlong, stackAlong, unstackAlong } from './host-split.js';
import { measureModel } from './measure-model.js';
import { useTestBackend } from './test-helpers/backend.js';
import { countingKernels } from './test-helpers/kernel-count.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Values of every magnitude, a NaN and an infinity among them: a cut copies them all as they are. */
const values = (shape: number[]) =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i === 5 ? NaN : i === 7 ? -Infinity : Math.sin(i) * 10 ** (i % 5)));
const same = (got: tf.Tensor[], want: tf.Tensor[]) => {
  expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
  got.forEach((g, i) => expect(Array.from(g.dataSync())).toEqual(Array.from(want[i]!.dataSync())));
};

describe('splitAlong and unstackAlong', () => {
  const cases: [number[], number[], number][] = [
    [[12, 5], [4, 4, 4], 0],
    [[9, 2, 3], [2, 3, 4], 0],
    [[7, 3], [7], 0],
    [[5, 1, 12], [6, 6], 2],
    [[4, 9], [2, 3, 4], -1],
    [[3, 6, 2, 4], [1, 4, 1], 1],
  ];

  it('give what tf.split and tf.unstack give, on every axis, NaN and ∞ kept, nothing left behind', () => {
    const before = tf.memory().numTensors;
    for (const [shape, sizes, axis] of cases) {
      const t = tf.tensor(values(shape), shape);
      const [got, want] = [splitAlong(t, sizes, axis), tf.split(t, sizes, axis)];
      same(got, want);
      const a = axis < 0 ? axis + shape.length : axis;
      const [gotU, wantU] = [unstackAlong(t, a), tf.unstack(t, a)];
      same(gotU, wantU);
      tf.dispose([t, ...got, ...want, ...gotU, ...wantU]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on a backend that reads at once, cut with one kernel of their own: no Slice, SplitV or Unpack, which on wasm copy the whole input per piece', () => {
    if (!readsAtOnce()) return;
    const t = tf.tensor(values([4, 30, 6]), [4, 30, 6]);
    const all = countingKernels();
    const ours = countingKernels(HOST_SPLIT);
    const pieces = [...unstackAlong(t, 1), ...splitAlong(t, [10, 20], 1)];
    // Inner wrapper first: each restores the runKernel it found.
    expect(ours.stop()).toBe(2);
    expect(all.stop()).toBe(2);
    tf.dispose([t, ...pieces]);
  });

  it('are differentiable: the gradient is what tf.split and tf.unstack give, zeros for a piece nothing reached', () => {
    const before = tf.memory().numTensors;
    const t = tf.tensor(values([3, 5, 4]).map((v) => (Number.isFinite(v) ? v : 0.5)), [3, 5, 4]);
    const weights = tf.randomNormal([3, 4], 0, 1, 'float32', 7);
    // Pieces 0 and 2 reach the loss, with different weights; piece 1 and, in the unstack, every odd step do not.
    const lossOf = (cut: (x: tf.Tensor) => tf.Tensor[]) => (x: tf.Tensor) => {
      const pieces = cut(x);
      return tf.add(tf.sum(tf.mul(tf.reshape(pieces[0]!, [-1]).slice(0, 12), tf.reshape(weights, [-1]))), tf.sum(tf.square(pieces[2]!)));
    };
    for (const [ours, theirs] of [
      [(x: tf.Tensor) => splitAlong(x, [2, 1, 2], 1), (x: tf.Tensor) => tf.split(x, [2, 1, 2], 1)],
      [(x: tf.Tensor) => unstackAlong(x, 1), (x: tf.Tensor) => tf.unstack(x, 1)],
      [(x: tf.Tensor) => splitAlong(x, [1, 1, 1], 0), (x: tf.Tensor) => tf.split(x, [1, 1, 1], 0)],
    ] as const) {
      const got = tf.grad(lossOf(ours))(t);
      const want = tf.grad(lossOf(theirs))(t);
      same([got], [want]);
      tf.dispose([got, want]);
    }
    tf.dispose([t, weights]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('name the sizes, the axis and the shape when they do not fit', () => {
    const t = tf.zeros([8, 3]);
    expect(() => splitAlong(t, [4, 3], 0)).toThrow(/splitAlong: sizes 4 \+ 3 = 7 are not positive integers adding up to axis 0 \(8\) of shape \[8, 3\]/);
    expect(() => splitAlong(t, [4, 0, 4], 0)).toThrow(/sizes 4 \+ 0 \+ 4 = 8 are not positive integers/);
    expect(() => splitAlong(t, [3], 2)).toThrow(/splitAlong: axis 2 is not an axis of shape \[8, 3\]/);
    expect(() => unstackAlong(t, -3)).toThrow(/unstackAlong: axis -3 is not an axis of shape \[8, 3\]/);
    t.dispose();
  });
});

describe('stackAlong', () => {
  it('gives what tf.stack gives, and the same gradient (an unstack) without an Unpack kernel', () => {
    const before = tf.memory().numTensors;
    const parts = [0, 1, 2, 3].map((i) => tf.randomNormal([2, 5], 0, 1, 'float32', i));
    const weights = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 9);
    for (const axis of [0, 1, 2, -1]) {
      const loss = (stack: (xs: tf.Tensor[], axis: number) => tf.Tensor) => (...xs: tf.Tensor[]) => {
        const s = stack(xs, axis);
        return tf.sum(tf.mul(s, tf.reshape(weights, s.shape)));
      };
      tf.tidy(() => same([stackAlong(parts, axis)], [tf.stack(parts, axis)]));
      const counter = countingKernels('Unpack');
      const got = tf.grads(loss(stackAlong))(parts);
      const unpacks = counter.stop();
      const want = tf.grads(loss(tf.stack))(parts);
      same(got, want);
      if (readsAtOnce()) expect(unpacks).toBe(0);
      tf.dispose([...got, ...want]);
    }
    tf.dispose([...parts, weights]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('on a backend whose reads wait (WebGL, WebGPU): tfjs ops', () => {
  // A backend that is not wasm or cpu: the cpu backend's kernels under another name, as a GPU backend is to
  // readsAtOnce. The kernel of host-split.ts is not registered there; tfjs's own ops must run.
  const NAME = 'gradscope-test-waits';

  it('cut and stack as tfjs does, and a stacked model over one step is measured (tfjs 4.22\'s Unpack gradient fails on one piece)', async () => {
    const cpu = tf.findBackend('cpu') as unknown as { constructor: new () => tf.KernelBackend };
    tf.registerBackend(NAME, () => new cpu.constructor(), 0);
    for (const k of tf.getKernelsForBackend('cpu')) if (k.kernelName !== HOST_SPLIT) tf.registerKernel({ ...k, backendName: NAME });
    const previous = tf.getBackend();
    await tf.setBackend(NAME);
    try {
      expect(readsAtOnce()).toBe(false);
      const all = countingKernels(HOST_SPLIT);
      const t = tf.tensor(values([2, 3, 4]).map((v) => (Number.isFinite(v) ? v : 0.25)), [2, 3, 4]);
      tf.tidy(() => {
        same(unstackAlong(t, 1), tf.unstack(t, 1));
        same(splitAlong(t, [1, 3], 2), tf.split(t, [1, 3], 2));
        const weights = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
        const loss = (xs: tf.Tensor[]) => tf.sum(tf.mul(stackAlong(xs, 1), weights));
        same(tf.grads((...xs: tf.Tensor[]) => loss(xs))(unstackAlong(t, 1)), tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.stack(xs, 1), weights)))(tf.unstack(t, 1)));
      });
      expect(all.stop()).toBe(0);
      t.dispose();
      for (const steps of [1, 3]) {
        const model = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [steps, 2], returnSequences: true }), tf.layers.gru({ units: 2 }), tf.layers.dense({ units: 1 })] });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const xs = tf.randomNormal([2, steps, 2], 0, 1, 'float32', 5) as tf.Tensor3D;
        const ys = tf.ones([2, 1]);
        const measured = await measureModel(model, { xs, ys });
        expect(measured.map((m) => m.gradNorm?.mean.length)).toEqual([steps + 1, steps + 1]);
        expect(measured.every((m) => m.gradNorm!.mean.every((v) => Number.isFinite(v) && v > 0))).toBe(true);
        tf.dispose([xs, ys]);
        model.dispose();
      }
    } finally {
      await tf.setBackend(previous);
      tf.removeBackend(NAME);
    }
  });
});
