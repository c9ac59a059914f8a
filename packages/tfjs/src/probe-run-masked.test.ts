import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compiledLoss } from './probe.js';
import { disposeRecord, probeRun } from './probe-run.js';
import { findRecurrentLayers } from './recurrent-layers.js';
import { useTestBackend } from './test-helpers/backend.js';
import { probeInputs } from './test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

/**
 * ‖∂L/∂s_t‖ by tfjs alone for a model [masking, rnn (returnSequences false), dense]:
 * run tfjs's layer with its mask over x[0:t] to reach s_t, restart it from
 * s_t (initialState) over x[t:] with the rest of the mask, and differentiate
 * the loss with respect to that initial state. A masked step carries the
 * state through, in the prefix as in the restarted tail.
 */
function maskedReference(model: tf.Sequential, x: tf.Tensor3D, mask: tf.Tensor2D, y: tf.Tensor): number[][] {
  const rnn = model.layers[1] as any;
  const rest = model.layers.slice(2);
  const steps = x.shape[1];
  const stateSizes: number[] = Array.isArray(rnn.cell.stateSize) ? rnn.cell.stateSize : [rnn.cell.stateSize];
  const call = (input: tf.Tensor, kwargs: any, state: boolean) => {
    const saved = rnn.returnState;
    rnn.returnState = state;
    try {
      return rnn.call(input, kwargs);
    } finally {
      rnn.returnState = saved;
    }
  };
  const norms: number[][] = [];
  for (let t = 0; t <= steps; t++) {
    norms.push(
      tf.tidy(() => {
        let states: tf.Tensor[] = stateSizes.map((n) => tf.zeros([x.shape[0], n]));
        if (t > 0) states = (call(x.slice([0, 0, 0], [-1, t, -1]), { mask: mask.slice([0, 0], [-1, t]) }, true) as tf.Tensor[]).slice(1);
        const grads = tf.grads((...init: tf.Tensor[]) => {
          let out = t < steps ? (call(x.slice([0, t, 0], [-1, steps - t, -1]), { initialState: init, mask: mask.slice([0, t], [-1, steps - t]) }, false) as tf.Tensor) : init[0]!;
          for (const layer of rest) out = layer.apply(out) as tf.Tensor;
          const unused = tf.addN(init.map((s) => tf.sum(tf.mul(s, 0))));
          return tf.add(tf.mean(tf.losses.meanSquaredError(y, out)), unused) as tf.Scalar;
        })(states);
        return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g), 1)))).arraySync() as number[];
      }),
    );
  }
  return norms[0]!.map((_, s) => norms.map((row) => row[s]!));
}

describe('probeRun: the BPTT adjoint ‖∂L/∂s_t‖ of a masked layer', () => {
  // Masked steps inside the sequences (a masked last step would leave the
  // layer's output at the last unmasked step, which s_T does not reach).
  const masked: [number, number][] = [[0, 2], [0, 3], [1, 4], [2, 1]];
  const cases = [
    { name: 'SimpleRNN', layer: () => tf.layers.simpleRNN({ units: 5 }) },
    { name: 'GRU', layer: () => tf.layers.gru({ units: 4 }) },
    { name: 'LSTM (joint h, c)', layer: () => tf.layers.lstm({ units: 4 }) },
  ];
  for (const c of cases) {
    it(`${c.name}: equals tfjs's own masked RNN restarted from s_t`, () => {
      const model = tf.sequential();
      model.add(tf.layers.masking({ maskValue: 0, inputShape: [6, 3] }));
      model.add(c.layer());
      model.add(tf.layers.dense({ units: 2 }));
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const zeros = tf.tensor2d(Array.from({ length: 3 }, (_, s) => Array.from({ length: 6 }, (_, t) => (masked.some(([ms, mt]) => ms === s && mt === t) ? 0 : 1))));
      const x = tf.tidy(() => tf.mul(probeInputs(3, 6, 3, 23), tf.expandDims(zeros, 2)) as tf.Tensor3D);
      const mask = tf.tidy(() => tf.cast(zeros, 'bool') as tf.Tensor2D);
      const y = tf.randomNormal([3, 2], 0, 1, 'float32', 5);
      const loss = compiledLoss(model, { xs: x, ys: y })!;
      const [[record]] = probeRun(model, findRecurrentLayers(model), x, loss) as any;
      expect(record.mask).not.toBeNull();
      const expected = maskedReference(model, x, mask, y);
      const got = record.gradNorm as number[][];
      let worst = 0;
      got.forEach((row, s) => row.forEach((v, t) => (worst = Math.max(worst, Math.abs(v - expected[s]![t]!) / expected[s]![t]!))));
      expect(worst).toBeLessThan(1e-4);
      disposeRecord(record);
      tf.dispose([x, y, zeros, mask]);
    });
  }
});
