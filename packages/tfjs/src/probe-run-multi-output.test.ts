import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from './measure-model.js';
import { useTestBackend } from './test-helpers/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

const [S, T, D, N] = [3, 6, 4, 5];
const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }), recurrentInitializer: tf.initializers.orthogonal({ gain: 1.3, seed: seed + 1 }) });

/**
 * An encoder whose last states feed a head, and whose sequence is a second
 * output (returnState: tfjs's graph executor applies the encoder once for
 * each of its outputs the model reaches, with the same inputs).
 */
function encoderWithStates() {
  const input = tf.input({ shape: [T, D] });
  const encoder = tf.layers.lstm({ units: N, returnSequences: true, returnState: true, ...seeded(1) });
  const head = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) });
  const [seq, h, c] = encoder.apply(input) as tf.SymbolicTensor[];
  const out = head.apply(tf.layers.concatenate().apply([h!, c!])) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: [out, seq!] }), encoder, head };
}

/** The loss the measurement and the reference share: squared outputs, weighted so no term is symmetric. */
const loss = (outputs: tf.Tensor[]) => tf.tidy(() => tf.add(tf.sum(tf.mul(tf.square(outputs[0]!), 0.7)), tf.sum(tf.mul(outputs[1]!, 0.3))) as tf.Scalar);

describe('probe re-run of a layer with several outputs (returnState)', () => {
  it('measures an encoder whose states feed a head and whose sequence is an output: its per-step norms as alone, its last state adjoint as tfjs computes it, no tensor left', async () => {
    const { model, encoder, head } = encoderWithStates();
    const xs = tf.randomNormal([S, T, D], 0, 1, 'float32', 9) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const measured = await measureModel(model, { xs }, { loss });
    expect(tf.memory().numTensors).toBe(before);
    expect(measured.map((m) => m.layer)).toEqual([encoder.name]);
    const enc = measured[0];

    // The encoder's per-step norms depend on its inputs and weights only: the same LSTM alone in a Sequential gives them.
    const alone = tf.sequential({ layers: [tf.layers.lstm({ units: N, inputShape: [T, D] })] });
    alone.layers[0]!.setWeights(encoder.getWeights());
    const [single] = await measureModel(alone, { xs });
    expect(enc!.stepNorm).toEqual(single!.stepNorm);

    // ‖∂L/∂(h_T, c_T)‖ per sample, by tfjs: the loss as a function of the encoder's last states, which feed the
    // head and are the last entry of the encoder's sequence output (earlier entries held fixed).
    const expected = tf.tidy(() => {
      const [seq, h, c] = encoder.apply(xs) as tf.Tensor[];
      const earlier = tf.slice(seq!, [0, 0, 0], [S, T - 1, N]);
      const [gh, gc] = tf.grads((hT: tf.Tensor, cT: tf.Tensor) => {
        const out = head.apply(tf.concat([hT, cT], 1)) as tf.Tensor;
        return loss([out, tf.concat([earlier, tf.expandDims(hT, 1)], 1)]);
      })([h!, c!]);
      return tf.sqrt(tf.add(tf.sum(tf.square(gh!), 1), tf.sum(tf.square(gc!), 1))).arraySync() as number[];
    });
    const want = { mean: expected.reduce((a, b) => a + b, 0) / S, min: Math.min(...expected), max: Math.max(...expected) };
    for (const k of ['mean', 'min', 'max'] as const) {
      expect(Math.abs(enc!.gradNorm![k][T]! - want[k]) / want[k], k).toBeLessThan(1e-5);
    }
    expect(want.min).toBeGreaterThan(0);
    tf.dispose(xs);
    model.dispose();
    alone.dispose();
  });

  it('measures a Bidirectional layer with returnState (a wrapper whose tidy frees the first call\'s outputs): its forward half as the same LSTM alone', async () => {
    const input = tf.input({ shape: [T, D] });
    const bidi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: N, returnSequences: true, returnState: true, ...seeded(21) }) as tf.layers.RNN });
    const [seq, hf, , hb] = bidi.apply(input) as tf.SymbolicTensor[];
    const out = tf.layers.dense({ units: 2 }).apply(tf.layers.concatenate().apply([hf!, hb!])) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [out, seq!] });
    const xs = tf.randomNormal([S, T, D], 0, 1, 'float32', 22);
    const before = tf.memory().numTensors;
    const measured = await measureModel(model, { xs }, { loss });
    expect(tf.memory().numTensors).toBe(before);
    expect(measured.map((m) => m.layer)).toEqual([`${bidi.name}/forward`, `${bidi.name}/backward`]);
    const alone = tf.sequential({ layers: [tf.layers.lstm({ units: N, inputShape: [T, D] })] });
    alone.layers[0]!.setWeights(bidi.getWeights().slice(0, 3));
    const [single] = await measureModel(alone, { xs });
    expect(measured[0]!.stepNorm).toEqual(single!.stepNorm);
    tf.dispose(xs);
    model.dispose();
    alone.dispose();
  });

  it('measures a layer applied twice to the same input as one layer used twice (same numbers, gradients of both uses)', async () => {
    const build = (twoNodes: boolean) => {
      const input = tf.input({ shape: [T, D] });
      const lstm = tf.layers.lstm({ units: N, ...seeded(31) });
      const [a, b] = [41, 43].map((seed) => tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
      const once = lstm.apply(input) as tf.SymbolicTensor;
      const second = twoNodes ? (lstm.apply(input) as tf.SymbolicTensor) : once;
      const out = tf.layers.add().apply([a!.apply(once) as tf.SymbolicTensor, b!.apply(second) as tf.SymbolicTensor]) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    };
    const xs = tf.randomNormal([S, T, D], 0, 1, 'float32', 32);
    const sumSquares = (o: tf.Tensor[]) => tf.sum(tf.square(o[0]!)) as tf.Scalar;
    const [twice, reused] = [build(true), build(false)];
    const before = tf.memory().numTensors;
    const [[m2], [m1]] = [await measureModel(twice, { xs }, { loss: sumSquares }), await measureModel(reused, { xs }, { loss: sumSquares })];
    expect(tf.memory().numTensors).toBe(before);
    expect(m2!.stepNorm).toEqual(m1!.stepNorm);
    expect(m2!.gradNorm).toEqual(m1!.gradNorm);
    expect(m1!.gradNorm!.min[T]).toBeGreaterThan(0);
    tf.dispose(xs);
    twice.dispose();
    reused.dispose();
  });

  it('is not misled by the mask another layer left on the executor\'s shared kwargs', async () => {
    const input = tf.input({ shape: [T, D] });
    const a = tf.layers.lstm({ units: N, returnSequences: true, returnState: true, ...seeded(51) });
    const b = tf.layers.lstm({ units: N, ...seeded(53) });
    const [aSeq, aH] = a.apply(input) as tf.SymbolicTensor[];
    const bOut = b.apply(tf.layers.masking({ maskValue: 0 }).apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [aSeq!, bOut, aH!] });
    const xs = tf.tidy(() => tf.mul(tf.randomNormal([S, T, D], 0, 1, 'float32', 54), tf.concat([tf.ones([S, T - 2, D]), tf.zeros([S, 2, D])], 1)));
    const before = tf.memory().numTensors;
    const measured = await measureModel(model, { xs }, { loss: (o) => tf.addN(o.map((t) => tf.sum(t))) as tf.Scalar });
    expect(tf.memory().numTensors).toBe(before);
    expect(measured.map((m) => m.layer)).toEqual([a.name, b.name]);
    tf.dispose(xs);
    model.dispose();
  });

  it('refuses a recurrent layer applied to two different inputs in one model, naming it, and leaves no tensor', async () => {
    const a = tf.input({ shape: [T, D] });
    const shared = tf.layers.lstm({ units: N, ...seeded(11) });
    const twice = tf.layers.add().apply([shared.apply(a) as tf.SymbolicTensor, shared.apply(tf.layers.multiply().apply([a, a]) as tf.SymbolicTensor) as tf.SymbolicTensor]);
    const model = tf.model({ inputs: a, outputs: twice as tf.SymbolicTensor });
    const xs = tf.randomNormal([S, T, D], 0, 1, 'float32', 12);
    const before = tf.memory().numTensors;
    await expect(measureModel(model, { xs }, { loss: (o) => tf.sum(o[0]!) as tf.Scalar })).rejects.toThrow(
      new RegExp(`layer '${shared.name}' ran twice in one forward pass, on different inputs; shared recurrent layers are not supported`),
    );
    // tfjs's tf.grad alone would keep the tensors the pass made before the refusal (probe-run.ts ends the pass first).
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
    model.dispose();
  });
});

describe('probe re-run that fails inside its gradient pass', () => {
  it('passes on a loss that throws, adding nothing to its message, and leaves no tensor', async () => {
    const { model } = encoderWithStates();
    const xs = tf.randomNormal([S, T, D], 0, 1, 'float32', 13);
    const before = tf.memory().numTensors;
    await expect(measureModel(model, { xs }, { loss: () => { throw new Error('the loss failed'); } })).rejects.toThrow(/^the loss failed$/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
    model.dispose();
  });
});
