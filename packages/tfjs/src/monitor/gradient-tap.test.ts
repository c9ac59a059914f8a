import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { withClipping, type ClipReport } from '../with-clipping.js';
import { tapGradients } from './gradient-tap.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('tapGradients', () => {
  it('reports the norms of every step of a plain optimizer, charges its own time (not the update\'s), and unwraps', () => {
    const optimizer = tf.train.sgd(0.1);
    const v = tf.variable(tf.tensor1d([1, 1]), true, 'tapped-v');
    const w = tf.variable(tf.tensor2d([[0, 0], [0, 0]]), true, 'tapped-w');
    const reports: ClipReport[] = [];
    const charges: number[] = [];
    // The update itself is made slow, so that charging it would show.
    const update = optimizer.applyGradients;
    optimizer.applyGradients = function (this: tf.Optimizer, g) {
      const end = performance.now() + 30;
      while (performance.now() < end);
      update.call(this, g);
    };
    const untap = tapGradients(optimizer, (r) => reports.push(r), true, (ms) => charges.push(ms));
    const gradients = { 'tapped-v': tf.tensor1d([3, 4]), 'tapped-w': tf.tensor2d([[1, 2], [2, 4]]) };
    optimizer.applyGradients(gradients);
    optimizer.applyGradients(gradients);
    expect(reports.map((r) => r.globalNormBefore)).toEqual([Math.sqrt(25 + 25), Math.sqrt(25 + 25)]);
    expect(reports[0]!.norms).toEqual({ 'tapped-v': 5, 'tapped-w': 5 });
    expect(charges.length).toBe(2);
    expect(charges.every((ms) => ms >= 0 && ms < 30)).toBe(true);
    // The update still ran, both times: v − 2 · 0.1 · (3, 4).
    const [v0, v1] = Array.from(v.dataSync());
    expect(v0).toBeCloseTo(0.4, 6);
    expect(v1).toBeCloseTo(0.2, 6);
    untap();
    optimizer.applyGradients(gradients);
    expect(reports.length).toBe(2);
    expect(charges.length).toBe(2);
    tf.dispose([v, w, ...Object.values(gradients)]);
    optimizer.dispose();
  });

  it('undone under a later tap, passes updates through unseen, and the later tap\'s undo gives the optimizer its own method back', () => {
    const optimizer = tf.train.sgd(0.1);
    const v = tf.variable(tf.tensor1d([1, 1]), true, 'stacked-v');
    const gradients = { 'stacked-v': tf.tensor1d([3, 4]) };
    const [first, second]: [number[], number[]] = [[], []];
    const untapFirst = tapGradients(optimizer, (r) => first.push(r.globalNormBefore!), true);
    const untapSecond = tapGradients(optimizer, (r) => second.push(r.globalNormBefore!), true);
    optimizer.applyGradients(gradients);
    untapFirst(); // a run whose fit() threw, ended while a later run's tap wraps its own
    optimizer.applyGradients(gradients);
    expect(first).toEqual([5]);
    expect(second).toEqual([5, 5]);
    // Both updates ran: v − 2 · 0.1 · (3, 4).
    expect(Array.from(v.dataSync()).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.4, 0.2]);
    untapSecond();
    expect(Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients')).toBe(false);
    tf.dispose([v, gradients['stacked-v']]);
    optimizer.dispose();
  });

  it('charges nothing for a withClipping optimizer, which reports its own norms', () => {
    const optimizer = withClipping(tf.train.sgd(0.1), { globalClipNorm: 1 });
    const v = tf.variable(tf.tensor1d([0, 0]), true, 'clipped-v');
    const reports: ClipReport[] = [];
    const charges: number[] = [];
    const untap = tapGradients(optimizer, (r) => reports.push(r), true, (ms) => charges.push(ms));
    const g = tf.tensor1d([3, 4]);
    optimizer.applyGradients({ 'clipped-v': g });
    expect(reports.map((r) => [r.globalNormBefore, r.globalNormAfter])).toEqual([[5, 1]]);
    expect(charges).toEqual([]);
    untap();
    tf.dispose([v, g]);
  });
});
