import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compiledLoss } from './probe.js';
import { disposeRecord, probeRun } from './probe-run.js';
import { findRecurrentLayers } from './recurrent-layers.js';
import { useTestBackend } from './test-helpers/backend.js';
import { probeInputs } from './test-helpers/compare.js';
import { restartedGradNorms } from './test-helpers/restarted-adjoint.js';

beforeAll(async () => {
  await useTestBackend();
});

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
      // tfjs's own masked RNN restarted from s_t, the rest of the mask with it.
      const expected = restartedGradNorms(model, x, y, tf.losses.meanSquaredError as any, { mask });
      const got = record.gradNorm as number[][];
      let worst = 0;
      got.forEach((row, s) => row.forEach((v, t) => (worst = Math.max(worst, Math.abs(v - expected[s]![t]!) / expected[s]![t]!))));
      expect(worst).toBeLessThan(1e-4);
      disposeRecord(record);
      tf.dispose([x, y, zeros, mask]);
    });
  }
});
