import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compiledLoss } from './probe.js';
import { disposeRecord, probeRun } from './probe-run.js';
import { findRecurrentLayers } from './recurrent-layers.js';
import { useTestBackend } from './test-helpers/backend.js';
import { noGradientCell } from './test-helpers/no-gradient-cell.js';
import { maxAbsDiff, probeInputs } from './test-helpers/compare.js';
import { countingKernels } from './test-helpers/kernel-count.js';
import { restartedGradNorms } from './test-helpers/restarted-adjoint.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('probeRun: the BPTT adjoint ‖∂L/∂s_t‖', () => {
  // A cell gradscope does not know, whose output is computed from its new
  // state (h·1) rather than being the state itself: the state then has a
  // second reader in the tape, and tfjs adds the two gradients, disposing
  // the first, which the re-run's tap must not be keeping. The re-run
  // perturbs the states a cell returns, not the output it computed beside
  // them, so its ∂L/∂s_t holds y_t fixed, as the reference is told to.
  const SimpleRNNCellClass: any = tf.layers.simpleRNNCell({ units: 1 }).constructor;
  class ReadsItsStateCell extends SimpleRNNCellClass {
    static className = 'ReadsItsStateCell';
    call(inputs: tf.Tensor[], kwargs: any) {
      const [, h] = super.call(inputs, kwargs) as tf.Tensor[];
      return [tf.mul(h!, 1), h];
    }
  }
  const cases = [
    { name: 'SimpleRNN, returnSequences false', layer: () => tf.layers.simpleRNN({ units: 5, inputShape: [6, 3] }) },
    { name: 'a custom cell whose output reads its new state, returnSequences true', layer: () => tf.layers.rnn({ cell: new (ReadsItsStateCell as any)({ units: 4 }), inputShape: [6, 3], returnSequences: true }), outputIsState: false },
    { name: 'LSTM (joint h, c), returnSequences false', layer: () => tf.layers.lstm({ units: 4, inputShape: [6, 3] }) },
    { name: 'GRU, returnSequences true (direct term each step)', layer: () => tf.layers.gru({ units: 4, inputShape: [6, 3], returnSequences: true }) },
    { name: 'LSTM, returnSequences true', layer: () => tf.layers.lstm({ units: 3, inputShape: [6, 3], returnSequences: true }) },
    // Cotangents reach the first layer's outputs through the second layer's per-step inputs: the re-run cuts those
    // inputs and stacks those outputs on the host on wasm and cpu (host-split.ts), whose gradients are its own.
    { name: 'GRU, returnSequences true, under a second recurrent layer (LSTM)', layer: () => tf.layers.gru({ units: 4, inputShape: [6, 3], returnSequences: true }), next: () => tf.layers.lstm({ units: 3 }) },
    { name: 'SimpleRNN, returnSequences true, under a second one that returns sequences too', layer: () => tf.layers.simpleRNN({ units: 4, inputShape: [6, 3], returnSequences: true }), next: () => tf.layers.simpleRNN({ units: 2, returnSequences: true }) },
  ];
  for (const c of cases) {
    it(`${c.name}: equals tfjs's own RNN restarted from s_t`, () => {
      const model = tf.sequential();
      model.add(c.layer());
      if (c.next) model.add(c.next());
      if ((model.layers[model.layers.length - 1] as any).returnSequences) model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: 2 }));
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = probeInputs(3, 6, 3, 21);
      const y = tf.randomNormal([3, 2], 0, 1, 'float32', 4);
      const loss = compiledLoss(model, { xs: x, ys: y })!;
      const [[record]] = probeRun(model, findRecurrentLayers(model), x, loss) as any;
      const expected = restartedGradNorms(model, x, y, tf.losses.meanSquaredError as any, { outputIsState: c.outputIsState ?? true });
      // Relative: gradient norms span orders of magnitude over t.
      const got = record.gradNorm as number[][];
      expect(got.length).toBe(3);
      expect(got[0]!.length).toBe(7);
      let worst = 0;
      // An adjoint that is exactly 0 (the last state of a cell whose outputs are all held fixed) must be 0.
      const error = (v: number, e: number) => (e === 0 ? Math.abs(v) : Math.abs(v - e) / e);
      got.forEach((row, s) => row.forEach((v, t) => (worst = Math.max(worst, error(v, expected[s]![t]!)))));
      expect(worst).toBeLessThan(1e-4);
      disposeRecord(record);
      tf.dispose([x, y]);
    });
  }

  it('a custom cell whose gradient throws: the re-run throws its error and leaves no tensor behind, measurement after measurement', () => {
    // tfjs 4.22's gradient pass skips freeing its tape's kept tensors when a backward throws: 94 per failed
    // measurement of this model before the re-run freed them itself.
    const model = tf.sequential({ layers: [tf.layers.rnn({ cell: noGradientCell(4), inputShape: [5, 3] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = probeInputs(2, 5, 3, 8);
    const y = tf.zeros([2, 1]);
    const loss = compiledLoss(model, { xs: x, ys: y })!;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      expect(() => probeRun(model, findRecurrentLayers(model), x, loss)).toThrow(/this cell has no gradient/);
      expect(tf.memory().numTensors).toBe(before);
    }
    // And tfjs's gradients still work afterwards.
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(tf.scalar(3));
    expect(g.dataSync()[0]).toBe(6);
    tf.dispose([g, x, y]);
    model.dispose();
  });

  it('on a backend that reads at once, cuts no sequence with Unpack or SplitV, which on wasm copy their whole input per piece (stacked LSTM, GRU, SimpleRNN)', () => {
    if (!readsAtOnce()) return;
    const model = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 3, inputShape: [12, 3], returnSequences: true }),
        tf.layers.gru({ units: 4, returnSequences: true }),
        tf.layers.simpleRNN({ units: 2 }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = probeInputs(2, 12, 3, 5);
    const y = tf.zeros([2, 1]);
    const loss = compiledLoss(model, { xs: x, ys: y })!;
    const [unpacks, splits] = [countingKernels('Unpack'), countingKernels('SplitV')];
    try {
      probeRun(model, findRecurrentLayers(model), x, loss).flat().forEach(disposeRecord);
    } finally {
      expect([splits.stop(), unpacks.stop()]).toEqual([0, 0]);
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('takes the cotangents of unmasked fast steps from their own backward: no tap kernel per state and step', () => {
    // A tap (an identity whose gradient records) per state and step cost one Identity kernel each; the fast
    // step's backward is shown the same cotangent instead. Per step what remains is the forward's own copy of
    // the state its backward reads (LSTM's c, GRU's h; none for SimpleRNN): counted at T = 10 and T = 20.
    const identities = (steps: number, layer: (inputShape: [number, number]) => tf.layers.Layer) => {
      const model = tf.sequential({ layers: [layer([steps, 3]), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = probeInputs(2, steps, 3, 5);
      const y = tf.zeros([2, 1]);
      const loss = compiledLoss(model, { xs: x, ys: y })!;
      const identities = countingKernels('Identity');
      let count: number;
      try {
        probeRun(model, findRecurrentLayers(model), x, loss).flat().forEach(disposeRecord);
      } finally {
        count = identities.stop();
      }
      tf.dispose([x, y]);
      model.dispose();
      return count;
    };
    const cases: [(inputShape: [number, number]) => tf.layers.Layer, number][] = [
      [(inputShape) => tf.layers.simpleRNN({ units: 4, inputShape }), 0],
      [(inputShape) => tf.layers.lstm({ units: 3, inputShape }), 1],
      [(inputShape) => tf.layers.gru({ units: 3, inputShape }), 1],
    ];
    for (const [layer, copies] of cases) expect(identities(20, layer) - identities(10, layer)).toBe(10 * copies);
  });

  it("records the states tfjs's own cells compute, bit for bit: each built-in cell's fast step, and a stacked cell after it", () => {
    // The re-run's fast steps (cells/fast-step.ts) redo tfjs's arithmetic in
    // tfjs's order, the bias included; the first cell's reference is its own
    // call step by step, the stacked one's the layer's output.
    // A bias that is not zero (tfjs initialises it to zeros): it must be added once, in tfjs's order.
    const biasInitializer = tf.initializers.randomNormal({ seed: 3 });
    const cells = {
      simpleRNN: () => tf.layers.simpleRNNCell({ units: 6, biasInitializer }),
      gru: () => tf.layers.gruCell({ units: 5, biasInitializer }),
      lstm: () => tf.layers.lstmCell({ units: 4, biasInitializer }),
    };
    for (const [name, make] of Object.entries(cells)) {
      const stack = [make(), tf.layers.simpleRNNCell({ units: 3, biasInitializer })];
      const model = tf.sequential({ layers: [tf.layers.rnn({ cell: stack, returnSequences: true, inputShape: [7, 3] })] });
      const x = probeInputs(4, 7, 3, 11);
      const [record, second] = probeRun(model, findRecurrentLayers(model), x)[0]!;
      const first = stack[0] as any;
      const sizes: number[] = Array.isArray(first.stateSize) ? first.stateSize : [first.stateSize];
      const reference = tf.tidy(() => {
        // The first cell through its own call, step by step; the stack through the layer.
        let states = sizes.map((n) => tf.zeros([4, n]));
        const h: tf.Tensor[] = [];
        for (const xt of tf.unstack(x, 1)) {
          states = (first.call([xt, ...states], { training: false }) as tf.Tensor[]).slice(1);
          h.push(states[0]!);
        }
        return [tf.stack(h, 1) as tf.Tensor3D, model.layers[0]!.apply(x) as tf.Tensor3D];
      });
      const width = reference[0]!.shape[2];
      // sPrev at t + 1 is the state after step t; its first `width` columns are h (LSTM: then c).
      const after = (r: typeof record, w: number) => tf.tidy(() => tf.slice(r!.sPrev, [0, 1, 0], [-1, 6, w]));
      const [h1, h2] = [after(record, width), after(second, 3)];
      const [want1, want2] = reference.map((t) => tf.slice(t, [0, 0, 0], [-1, 6, -1]));
      expect(maxAbsDiff(h1, want1!), name).toBe(0);
      expect(maxAbsDiff(h2, want2!), `${name}, the stacked cell`).toBe(0);
      tf.dispose([x, h1, h2, want1!, want2!, ...reference]);
      [record!, second!].forEach(disposeRecord);
      model.dispose();
    }
  });

  it('the re-run leaves the model output unchanged (masking, goBackwards, stacked cells, Bidirectional)', () => {
    const input = tf.input({ shape: [5, 3] });
    const masked = tf.layers.masking({ maskValue: 0 }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.gru({ units: 4, returnSequences: true, goBackwards: true }).apply(masked) as tf.SymbolicTensor;
    const b = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as any }).apply(a) as tf.SymbolicTensor;
    const c = tf.layers.rnn({ cell: [tf.layers.simpleRNNCell({ units: 3 }), tf.layers.lstmCell({ units: 2 })] }).apply(b) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(c) as tf.SymbolicTensor });
    // Zero out some steps so that Masking produces a real mask.
    const x = tf.tidy(() => tf.mul(probeInputs(2, 5, 3, 9), tf.tensor3d([[[1], [1], [0], [1], [0]], [[1], [0], [1], [1], [1]]])));
    const expected = model.predict(x) as tf.Tensor;
    const targets = findRecurrentLayers(model);
    expect(targets.map((t) => t.name)).toEqual([a, b, c].map((s) => s.sourceLayer.name).flatMap((n, i) => (i === 1 ? [`${n}/forward`, `${n}/backward`] : [n])));
    const before = tf.memory().numTensors;
    const records = probeRun(model, targets, x);
    // Masking reached the GRU: its record has the mask, reversed by goBackwards.
    expect(records[0]![0]!.mask!.arraySync()).toEqual([[0, 1, 0, 1, 1], [1, 1, 1, 0, 1]]);
    records.flat().forEach(disposeRecord);
    expect(tf.memory().numTensors).toBe(before);
    // And the layer's call is restored: predicting again gives the same output.
    const again = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(again, expected)).toBe(0);
    // The re-run's own output through the model matches tfjs's.
    const originals = targets.map((t) => t.layer.call);
    expect(originals.every((f) => typeof f === 'function')).toBe(true);
    tf.dispose([x, expected, again]);
  });
});
