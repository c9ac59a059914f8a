import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { resolveOptions } from './options.js';
import { describeOptions, planRun } from './run-start.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('run start', () => {
  it('describes the options as JSON: tensors as shapes, the token only as set, where the probe came from', () => {
    const xs = tf.zeros([4, 5, 2]);
    const ys = tf.zeros([4, 1]);
    const options = resolveOptions({ probe: { xs, ys }, token: 'secret-token', logdir: false, every: 3 });
    const described = describeOptions(options, options.probe);
    expect(described).toMatchObject({ every: 3, logdir: false, token: '(set)', probe: { xs: [[4, 5, 2]], ys: [[4, 1]] }, probeSource: 'option' });
    expect(JSON.stringify(described)).not.toContain('secret-token');
    const tapped = describeOptions(resolveOptions({ logdir: false }), { xs: [xs, xs] });
    expect(tapped).toMatchObject({ token: null, probe: { xs: [[4, 5, 2], [4, 5, 2]], ys: null }, probeSource: 'tap' });
    // Unbounded is a string, as the protocol asks of run-start options (JSON would write null).
    expect(describeOptions(resolveOptions({ logdir: false, budget: Infinity }), null)).toMatchObject({ budget: 'Infinity' });
    tf.dispose([xs, ys]);
  });

  it('names later runs of one monitor -2, -3, and refuses a model without recurrent layers', () => {
    const model = tf.sequential();
    model.add(tf.layers.simpleRNN({ units: 3, inputShape: [5, 2] }));
    const probe = { xs: tf.zeros([2, 5, 2]) };
    const options = resolveOptions({ runName: 'exp', logdir: false });
    expect(planRun(model, probe, options, 1).runName).toBe('exp');
    expect(planRun(model, probe, options, 3).runName).toBe('exp-3');
    const dense = tf.sequential();
    dense.add(tf.layers.dense({ units: 1, inputShape: [2] }));
    expect(() => planRun(dense, { xs: tf.zeros([2, 2]) }, options, 1)).toThrow(/the model has no recurrent layer/);
    expect(() => planRun(null, probe, options, 1)).toThrow(/no model to monitor/);
    tf.dispose(probe.xs);
  });

  it('refuses a k above the joint state of a cell it would measure, and takes one at the limit', () => {
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 3, inputShape: [5, 2], returnSequences: true, name: 'lstm_k' }));
    model.add(tf.layers.simpleRNN({ units: 4, name: 'rnn_k' }));
    const probe = { xs: tf.zeros([2, 5, 2]) };
    const plan = (k: number, layers?: string[]) => planRun(model, probe, resolveOptions({ k, logdir: false, ...(layers ? { layers } : {}) }), 1);
    // The LSTM's joint state is h and c: 6. The SimpleRNN's is 4.
    expect(() => plan(5)).toThrow(/gradscope: option 'k' must be at most the state size 4 of cell 'rnn_k'.*got 5/);
    expect(plan(4).targets).toHaveLength(2);
    expect(plan(6, ['lstm_k']).targets).toHaveLength(1);
    expect(() => plan(7, ['lstm_k'])).toThrow(/state size 6 of cell 'lstm_k'/);
    tf.dispose(probe.xs);
  });
});
