import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from './measure-model.js';
import { MEASURE_OPTIONS } from './measure-options.js';
import { useTestBackend } from './test-helpers/backend.js';

let xs: tf.Tensor;
beforeAll(async () => {
  await useTestBackend();
  xs = tf.randomNormal([3, 5, 2], 0, 1, 'float32', 1);
});

function model(layer: 'simpleRNN' | 'lstm', units: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers[layer]({ units, inputShape: [5, 2], name: `${layer}_cell` }));
  m.add(tf.layers.dense({ units: 1 }));
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return m;
}

describe('measureModel options: checked as gradscope() checks its own', () => {
  it('an unknown option is an error naming measureModel, the option and the known ones', async () => {
    const m = model('simpleRNN', 3);
    await expect(measureModel(m, { xs }, { kk: 2 } as never)).rejects.toThrow(
      new TypeError(`measureModel: unknown option 'kk' (known: ${MEASURE_OPTIONS.join(', ')})`),
    );
    expect(MEASURE_OPTIONS).toEqual(['layers', 'method', 'k', 'loss', 'thresholds', 'cache', 'gradNormHistory', 'stopsOnNaN', 'pause']);
  });

  it('a value of the wrong type names the option, the value and what would do', async () => {
    const m = model('simpleRNN', 3);
    await expect(measureModel(m, { xs }, { k: 2.5 })).rejects.toThrow("measureModel: option 'k' must be a positive integer, got 2.5");
    await expect(measureModel(m, { xs }, { method: 'fast' as never })).rejects.toThrow("measureModel: option 'method' must be one of 'auto', 'analytic', 'autodiff', got 'fast'");
    await expect(measureModel(m, { xs }, { cache: {} as never })).rejects.toThrow("measureModel: option 'cache' must be a MeasureCache (new MeasureCache()), got {}");
    await expect(measureModel(m, { xs }, { layers: [] })).rejects.toThrow("measureModel: option 'layers' must be a non-empty array of layer names, got []");
    await expect(measureModel(m, { xs }, { stopsOnNaN: 1 as never })).rejects.toThrow("measureModel: option 'stopsOnNaN' must be true or false, got 1");
  });

  it('a k above the state size names measureModel, the cell and its state size (2·units for an LSTM), and leaks nothing', async () => {
    const rnn = model('simpleRNN', 3);
    const lstm = model('lstm', 3);
    const before = tf.memory().numTensors;
    await expect(measureModel(rnn, { xs }, { k: 4 })).rejects.toThrow(/^measureModel: option 'k' must be at most the state size 3 of cell 'simpleRNN_cell' .*got 4$/);
    await expect(measureModel(lstm, { xs }, { k: 7 })).rejects.toThrow(/^measureModel: option 'k' must be at most the state size 6 of cell 'lstm_cell' .*got 7$/);
    expect(tf.memory().numTensors).toBe(before);
    // k = N is allowed: the product norm is then exact.
    const [m] = await measureModel(lstm, { xs }, { k: 6 });
    expect(m!.ftle.mean).toHaveLength(6);
    expect(tf.memory().numTensors).toBe(before);
  });
});
