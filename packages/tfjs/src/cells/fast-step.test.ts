import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastCell } from './cell-kinds.js';
import { StepFactors } from './fast-step.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { maxAbsDiff, probeInputs } from '../test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

/**
 * Three steps of a cell from random states, through tfjs's own cell.call and
 * through the fast step; a fixed random linear functional of the last states
 * is differentiated with respect to the inputs and the first states. Values
 * and gradients must agree: the fast step's hand-written backward is the
 * only thing under test (tfjs's autodiff of its own cell is the reference).
 */
function compare(cellLayer: any, stateSizes: number[]): { values: number; grads: number } {
  const [samples, steps, features] = [3, 3, 4];
  const x = probeInputs(samples, steps, features, 5);
  tf.tidy(() => void tf.layers.rnn({ cell: cellLayer, returnSequences: true }).apply(x)); // builds the weights
  const xs = tf.unstack(x, 1);
  const init = stateSizes.map((n, i) => tf.randomNormal([samples, n], 0, 1, 'float32', 10 + i));
  const weights = stateSizes.map((n, i) => tf.randomNormal([samples, n], 0, 1, 'float32', 20 + i));
  const fast = fastCell(cellLayer)!;
  const run = (useFast: boolean) => (...args: tf.Tensor[]) => {
    let states = args.slice(steps);
    for (let t = 0; t < steps; t++) {
      states = useFast ? fast.step(args[t]!, states) : (cellLayer.call([args[t]!, ...states], { training: false }) as tf.Tensor[]).slice(1);
    }
    return { states, functional: tf.addN(states.map((s, i) => tf.sum(tf.mul(s, weights[i]!)))) as tf.Scalar };
  };
  const inputs = [...xs, ...init];
  const [reference, got] = [false, true].map((useFast) =>
    tf.tidy(() => {
      const { states } = run(useFast)(...inputs);
      const grads = tf.grads((...a: tf.Tensor[]) => run(useFast)(...a).functional)(inputs);
      return { states: tf.concat(states, 1), grads: tf.concat(grads.map((g) => tf.reshape(g, [-1])), 0) };
    }),
  );
  const result = { values: maxAbsDiff(got!.states, reference!.states), grads: maxAbsDiff(got!.grads, reference!.grads) };
  fast.dispose();
  tf.dispose([x, ...xs, ...init, ...weights, got!.states, got!.grads, reference!.states, reference!.grads]);
  return result;
}

describe('fast cell steps (hand-written backward) equal tfjs cell.call and its autodiff', () => {
  const cases: [string, () => any, number[]][] = [
    ['simpleRNN tanh', () => tf.layers.simpleRNNCell({ units: 5 }), [5]],
    ['simpleRNN relu, no bias', () => tf.layers.simpleRNNCell({ units: 5, activation: 'relu', useBias: false }), [5]],
    ['lstm (hardSigmoid, tanh)', () => tf.layers.lstmCell({ units: 4 }), [4, 4]],
    ['lstm (sigmoid, relu), unitForgetBias', () => tf.layers.lstmCell({ units: 4, recurrentActivation: 'sigmoid', activation: 'relu', unitForgetBias: true }), [4, 4]],
    ['gru (hardSigmoid, tanh)', () => tf.layers.gruCell({ units: 4 }), [4]],
    ['gru (sigmoid, linear), no bias', () => tf.layers.gruCell({ units: 4, recurrentActivation: 'sigmoid', activation: 'linear', useBias: false }), [4]],
  ];
  for (const [name, make, sizes] of cases) {
    it(name, () => {
      const before = tf.memory().numTensors;
      const { values, grads } = compare(make(), sizes);
      expect(values).toBeLessThan(1e-6);
      expect(grads).toBeLessThan(1e-5);
      // Only the built cell's weights remain.
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(3);
    });
  }

  it('falls back to cell.call for softmax gates, activations without a closed-form derivative, and custom cells', () => {
    expect(fastCell(tf.layers.lstmCell({ units: 3, recurrentActivation: 'softmax' }))).toBeNull();
    expect(fastCell(tf.layers.simpleRNNCell({ units: 3, activation: 'elu' }))).toBeNull();
    expect(fastCell({ getClassName: () => 'MyCell' } as never)).toBeNull();
  });
});

describe('StepFactors: the forward-only factors of a backward, made for all recorded steps at once', () => {
  it('makes each batch once, from the steps recorded since the last, with the rows each step gave it; frees its factors', () => {
    const before = tf.memory().numTensors;
    const stacks: number[][] = [];
    // Two factors per step: x + 1, and x·y side by side with x (a wider block).
    const factors = new StepFactors(([x, y]) => {
      stacks.push(x!.shape);
      return [tf.add(x!, 1), tf.concat([tf.mul(x!, y!), x!], 1)];
    });
    const step = (t: number, rows: number) => [tf.fill([rows, 3], t + 0.5), tf.fill([rows, 3], -t)] as [tf.Tensor, tf.Tensor];
    const inputs = [step(0, 2), step(1, 2), step(2, 2)];
    const index = inputs.map(([x, y]) => factors.add(x, y));
    expect(index).toEqual([0, 1, 2]);
    const check = (t: number, [x, y]: [tf.Tensor, tf.Tensor]) => {
      const [a, b] = factors.get(t);
      expect(Array.from(a!.dataSync())).toEqual(Array.from(tf.tidy(() => tf.add(x, 1).dataSync())));
      expect(Array.from(b!.dataSync())).toEqual(Array.from(tf.tidy(() => tf.concat([tf.mul(x, y), x], 1).dataSync())));
    };
    check(2, inputs[2]!);
    check(0, inputs[0]!);
    expect(stacks).toEqual([[6, 3]]); // one batch, all three steps
    // A second forward pass (another batch size) adds steps: only they make the next batch.
    inputs.push(step(3, 1), step(4, 1));
    factors.add(...inputs[3]!);
    factors.add(...inputs[4]!);
    check(4, inputs[4]!);
    check(3, inputs[3]!);
    check(1, inputs[1]!);
    expect(stacks).toEqual([[6, 3], [2, 3]]);
    expect(() => factors.get(5)).toThrow(/StepFactors.get: no step 5 was recorded \(5 were\)/);
    factors.dispose();
    tf.dispose(inputs.flat()); // the inputs stay the caller's
    expect(tf.memory().numTensors).toBe(before);
  });
});
