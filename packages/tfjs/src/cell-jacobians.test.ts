import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { autodiffCellJacobians } from './autodiff-jacobian.js';
import { cellJacobians, densify, type CellJacobians } from './cell-jacobians.js';
import { useTestBackend } from './test-helpers/backend.js';
import { noGradientCell } from './test-helpers/no-gradient-cell.js';
import { maxAbsDiff, probeInputs } from './test-helpers/compare.js';

// Analytic Jacobians (hand-derived per cell kind) against the autodiff
// reference, which knows nothing of the cell's equations: it differentiates
// the tfjs cell's own `call`. float32 throughout; 1e-5 is the bar and
// about 10× the rounding we see on O(1) Jacobian entries.
const TOLERANCE = 1e-5;

const ACTIVATIONS = ['elu', 'hardSigmoid', 'linear', 'relu', 'relu6', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'tanh', 'swish', 'mish', 'gelu', 'gelu_new'] as const;

beforeAll(async () => {
  await useTestBackend();
});

/** Builds `layer` on input [S, T, d] and measures it both ways. */
function analyticVsAutodiff(layer: any, x: tf.Tensor3D, mask?: tf.Tensor): { worst: number; results: CellJacobians[] } {
  tf.tidy(() => {
    layer.apply(x); // builds the weights
  });
  const analytic = cellJacobians(layer, x, { method: 'analytic', dense: true, mask });
  const reference = cellJacobians(layer, x, { method: 'autodiff', dense: true, mask });
  let worst = 0;
  analytic.forEach((a, i) => {
    const r = reference[i]!;
    expect(a.method).toBe('analytic');
    expect(r.method).toBe('autodiff');
    expect(a.dense!.shape).toEqual(r.dense!.shape);
    worst = Math.max(worst, maxAbsDiff(a.dense!, r.dense!));
  });
  for (const c of [...analytic, ...reference]) {
    c.sequence.dispose();
    c.dense?.dispose();
  }
  return { worst, results: analytic };
}

describe('analytic cell Jacobians equal autodiff', () => {
  const x = () => probeInputs(3, 5, 4, 7);

  for (const activation of ACTIVATIONS) {
    it(`simpleRNN, activation ${activation}`, () => {
      const { worst } = analyticVsAutodiff(tf.layers.simpleRNN({ units: 6, activation, recurrentInitializer: 'glorotNormal' }), x());
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  for (const recurrentActivation of ['hardSigmoid', 'sigmoid', 'softmax', 'tanh'] as const) {
    for (const activation of ['tanh', 'relu', 'softsign', 'softmax'] as const) {
      it(`lstm, recurrentActivation ${recurrentActivation}, activation ${activation}`, () => {
        const { worst } = analyticVsAutodiff(tf.layers.lstm({ units: 5, activation, recurrentActivation }), x());
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      });
      it(`gru, recurrentActivation ${recurrentActivation}, activation ${activation}`, () => {
        const { worst } = analyticVsAutodiff(tf.layers.gru({ units: 5, activation, recurrentActivation }), x());
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it('without bias, and with unitForgetBias', () => {
    for (const layer of [
      tf.layers.simpleRNN({ units: 4, useBias: false }),
      tf.layers.lstm({ units: 4, useBias: false }),
      tf.layers.gru({ units: 4, useBias: false }),
      tf.layers.lstm({ units: 4, unitForgetBias: true }),
    ]) {
      expect(analyticVsAutodiff(layer, x()).worst).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('saturated gates: hardSigmoid outside ±2.5 has exactly zero derivative', () => {
    // Large weights push most gate pre-activations beyond ±2.5.
    const big = tf.initializers.randomNormal({ mean: 0, stddev: 4, seed: 3 });
    const lstm = tf.layers.lstm({ units: 5, kernelInitializer: big, recurrentInitializer: big });
    const gru = tf.layers.gru({ units: 5, kernelInitializer: big, recurrentInitializer: big });
    for (const layer of [lstm, gru]) {
      expect(analyticVsAutodiff(layer, x()).worst).toBeLessThanOrEqual(TOLERANCE);
    }
    // Saturation by construction: zero weights and a bias of +10 on f, −10 on
    // i put every forget gate at hardSigmoid(10) = 1 with derivative exactly 0
    // and every input gate at 0, so ∂c'/∂c = D(f) = I exactly and ∂c'/∂h = 0.
    const n = 5;
    const carousel = tf.layers.lstm({ units: n, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' });
    const input = x();
    tf.tidy(() => void carousel.apply(input));
    (carousel as any).cell.bias.write(tf.concat([tf.fill([n], -10), tf.fill([n], 10), tf.zeros([n]), tf.zeros([n])]));
    const [c] = cellJacobians(carousel, input, { dense: true });
    const [s, t] = [3, 5];
    const cc = c!.dense!.slice([0, 0, n, n], [s, t, n, n]);
    const ch = c!.dense!.slice([0, 0, n, 0], [s, t, n, n]);
    expect(maxAbsDiff(cc, tf.tile(tf.eye(n).reshape([1, 1, n, n]), [s, t, 1, 1]))).toBe(0);
    expect(maxAbsDiff(ch, tf.zerosLike(ch))).toBe(0);
    tf.dispose([cc, ch, c!.dense!, input]);
    c!.sequence.dispose();
  });

  it('masked steps have J = I exactly', () => {
    const mask = tf.tensor2d([
      [1, 1, 0, 1, 0],
      [0, 1, 1, 1, 1],
      [1, 0, 0, 0, 1],
    ]);
    for (const layer of [tf.layers.simpleRNN({ units: 4 }), tf.layers.lstm({ units: 3 }), tf.layers.gru({ units: 4 })]) {
      const { worst } = analyticVsAutodiff(layer, x(), mask);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
      const [c] = cellJacobians(layer, x(), { dense: true, mask });
      const n = c!.sequence.size;
      const masked = c!.dense!.slice([0, 2, 0, 0], [1, 1, n, n]).reshape([n, n]);
      expect(maxAbsDiff(masked, tf.eye(n))).toBe(0);
      tf.dispose([masked, c!.dense!]);
      c!.sequence.dispose();
    }
    mask.dispose();
  });

  it('goBackwards runs time in reverse: J_1 is the Jacobian at the last input', () => {
    const input = x();
    const fwd = tf.layers.simpleRNN({ units: 4, goBackwards: false });
    tf.tidy(() => void fwd.apply(input));
    const back = tf.layers.simpleRNN({ units: 4, goBackwards: true, weights: fwd.getWeights() });
    expect(analyticVsAutodiff(back, input).worst).toBeLessThanOrEqual(TOLERANCE);
    const reversed = tf.reverse(input, 1);
    const [a] = cellJacobians(back, input, { dense: true });
    const [b] = cellJacobians(fwd, reversed, { dense: true });
    expect(maxAbsDiff(a!.dense!, b!.dense!)).toBe(0);
    for (const c of [a!, b!]) {
      c.sequence.dispose();
      c.dense!.dispose();
    }
    tf.dispose([input, reversed]);
  });

  it('tf.layers.rnn with each built-in cell, and StackedRNNCells one measurement per cell', () => {
    const single = tf.layers.rnn({ cell: tf.layers.gruCell({ units: 4 }) });
    expect(analyticVsAutodiff(single, x()).worst).toBeLessThanOrEqual(TOLERANCE);
    const stacked = tf.layers.rnn({
      cell: [tf.layers.lstmCell({ units: 3 }), tf.layers.simpleRNNCell({ units: 4 }), tf.layers.gruCell({ units: 2 })],
      returnSequences: true,
    });
    const { worst, results } = analyticVsAutodiff(stacked, x());
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    expect(results.map((r) => [r.name.replace(/^.*\//, ''), r.kind, r.sequence.size])).toEqual([
      ['cell_0', 'lstm', 6],
      ['cell_1', 'simpleRNN', 4],
      ['cell_2', 'gru', 2],
    ]);
  });

  it('bidirectional: forward and backward layers measured separately', () => {
    const bidi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as any, mergeMode: 'concat' });
    const { worst, results } = analyticVsAutodiff(bidi, x());
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    expect(results.map((r) => r.name.split('/')[1])).toEqual(['forward', 'backward']);
  });
});

describe('autodiff fallback', () => {
  it('of a custom cell whose gradient throws: throws its error and leaves no tensor behind (tfjs keeps its tape on a failed pass)', () => {
    const cell = noGradientCell(3);
    tf.tidy(() => void tf.layers.rnn({ cell, returnSequences: true }).apply(tf.zeros([1, 2, 2]))); // builds the weights
    const x = tf.randomNormal([4, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
    const s = tf.randomNormal([4, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      expect(() => autodiffCellJacobians(cell, x, s)).toThrow(/this cell has no gradient/);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, s]);
  });

  it('is used automatically for a custom cell, and densify agrees with it', () => {
    // A cell tfjs does not know: h' = tanh(x W + h U) ⊙ 0.5 + 0.5 h.
    const SimpleRNNCellClass: any = tf.layers.simpleRNNCell({ units: 1 }).constructor;
    class HalfLeakyCell extends SimpleRNNCellClass {
      static className = 'HalfLeakyCell';
      call(inputs: tf.Tensor[], kwargs: any) {
        return tf.tidy(() => {
          const [out] = super.call(inputs, kwargs) as tf.Tensor[];
          const h = tf.add(tf.mul(out!, 0.5), tf.mul(inputs[1]!, 0.5));
          return [h, h];
        });
      }
    }
    const cell: any = new (HalfLeakyCell as any)({ units: 4, activation: 'tanh' });
    const layer = tf.layers.rnn({ cell });
    const input = probeInputs(2, 3, 3, 11);
    tf.tidy(() => void layer.apply(input));
    const [c] = cellJacobians(layer, input, { dense: true });
    expect(c!.kind).toBe('custom');
    expect(c!.method).toBe('autodiff');
    // J = 0.5·D(tanh') Rᵀ + 0.5·I by hand, at the recorded states.
    const again = densify(c!.sequence);
    expect(maxAbsDiff(again, c!.dense!)).toBeLessThanOrEqual(1e-6);
    expect(() => cellJacobians(layer, input, { method: 'analytic' })).toThrow(/custom/);
    tf.dispose([again, c!.dense!, input]);
    c!.sequence.dispose();
  });

  it('recovers a known Jacobian: linear SimpleRNN without bias has J = Rᵀ', () => {
    const layer = tf.layers.simpleRNN({ units: 3, activation: 'linear', useBias: false });
    const input = probeInputs(2, 2, 2, 5);
    tf.tidy(() => void layer.apply(input));
    const r = (layer as any).cell.recurrentKernel.read() as tf.Tensor2D;
    const j = autodiffCellJacobians((layer as any).cell, tf.zeros([1, 2]) as tf.Tensor2D, tf.ones([1, 3]) as tf.Tensor2D);
    expect(maxAbsDiff(j.reshape([3, 3]), r.transpose())).toBe(0);
    tf.dispose([j, input]);
  });
});
