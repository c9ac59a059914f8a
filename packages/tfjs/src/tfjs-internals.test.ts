import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from './test-helpers/backend.js';
import {
  TFJS_WRITTEN_FOR, bidirectionalHalves, clearDropoutMasks, internalsChanged, stackedCells, stopTrainingRequested,
  storedStates, versionNote, withReplacedCalls, type LayerCall,
} from './tfjs-internals.js';

beforeAll(async () => {
  await useTestBackend();
});

// These tests pin the assumptions about tfjs 4.22 that the module's accessors
// check at run time, and the message a different tfjs gets when one breaks.
describe('tfjs internals', () => {
  it('is written for the installed tfjs', () => {
    expect(tf.version_layers.startsWith(`${TFJS_WRITTEN_FOR}.`)).toBe(true);
    expect(versionNote(tf.version_layers)).toBeNull();
    expect(versionNote('5.0.1')).toMatch(/tfjs 4\.22 .*tfjs 5\.0\.1.*@tensorflow\/tfjs@4\.22/);
  });

  it('a broken assumption names itself, the installed tfjs and the one gradscope was written for', () => {
    expect(internalsChanged(`LSTMCell has no 'dropoutMask' field`, '5.1.0').message).toBe(
      `gradscope: tfjs internals changed: LSTMCell has no 'dropoutMask' field. gradscope was written for tfjs 4.22 and this is tfjs 5.1.0; ` +
        'install @tensorflow/tfjs@4.22 or a gradscope release written for 5.1.0.',
    );
  });

  it('clears the dropout masks a training call left on a built-in cell, and says so when the field is gone', () => {
    const layer = tf.layers.lstm({ units: 3, dropout: 0.5, recurrentDropout: 0.5 });
    const x = tf.ones([2, 4, 3]);
    tf.tidy(() => void layer.apply(x, { training: true }));
    const cell = layer.cell;
    // tfjs's LSTM keeps one mask per gate after a training call.
    const held = [cell.dropoutMask, cell.recurrentDropoutMask].flat().filter((m) => m != null);
    expect(held.length).toBe(8);
    const before = tf.memory().numTensors;
    clearDropoutMasks(cell);
    expect([cell.dropoutMask, cell.recurrentDropoutMask]).toEqual([null, null]);
    expect(tf.memory().numTensors).toBe(before - held.length);
    const renamed = tf.layers.gruCell({ units: 2 }) as unknown as Record<string, unknown>;
    delete renamed.recurrentDropoutMask;
    expect(() => clearDropoutMasks(renamed as never)).toThrow(/tfjs internals changed: GRUCell has no 'recurrentDropoutMask' field.*written for tfjs 4\.22/);
    // A custom cell need not have masks at all.
    const custom = { getClassName: () => 'MyCell' };
    expect(() => clearDropoutMasks(custom as never)).not.toThrow();
    x.dispose();
  });

  it('reads stateful states, stacked cells and Bidirectional halves, or names what is missing', () => {
    const stateful = tf.layers.simpleRNN({ units: 2, stateful: true, batchInputShape: [1, 3, 2] });
    expect(storedStates(stateful)).toBeNull();
    tf.tidy(() => void stateful.apply(tf.ones([1, 3, 2])));
    expect(storedStates(stateful)!.map((s) => s.shape)).toEqual([[1, 2]]);
    expect(() => storedStates(Object.assign(Object.create(null), { name: 'x' }) as never)).toThrow(/'x' has no 'states_' field/);

    const stacked = tf.layers.rnn({ cell: [tf.layers.simpleRNNCell({ units: 2 }), tf.layers.gruCell({ units: 3 })] });
    expect(stackedCells(stacked.cell)!.map((c) => c.getClassName())).toEqual(['SimpleRNNCell', 'GRUCell']);
    expect(stackedCells(tf.layers.lstmCell({ units: 2 }))).toBeNull();

    const bidi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as never });
    const halves = bidirectionalHalves(bidi)!;
    expect([halves.forward.getClassName(), halves.backward.getClassName()]).toEqual(['LSTM', 'LSTM']);
    expect(bidirectionalHalves(tf.layers.dense({ units: 1 }))).toBeNull();
    expect(() => bidirectionalHalves({ getClassName: () => 'Bidirectional', name: 'b' } as never)).toThrow(/Bidirectional 'b' has no 'forwardLayer'/);
  });

  it('replaces layer.call for the body only, also when the body throws', () => {
    const layer = tf.layers.simpleRNN({ units: 2 });
    const x = tf.ones([1, 3, 2]);
    const original = layer.call;
    const replacement: LayerCall = () => tf.scalar(7);
    const seen = withReplacedCalls([layer], () => replacement, () => tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync()[0]));
    expect(seen).toBe(7);
    expect(() => withReplacedCalls([layer], () => replacement, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(layer.call).toBe(original);
    expect(Object.prototype.hasOwnProperty.call(layer, 'call')).toBe(true); // restored on the instance, to the prototype's method
    x.dispose();
  });

  it('sees a callback asking a LayersModel or a Sequential to stop', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    expect(stopTrainingRequested(model)).toBe(false); // before compile: the public getter would throw
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(stopTrainingRequested(model)).toBe(false);
    model.stopTraining = true;
    expect(stopTrainingRequested(model)).toBe(true);
    expect(stopTrainingRequested(null)).toBe(false);
    model.dispose();
  });
});
