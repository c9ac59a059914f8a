/**
 * The measurement worker against the training thread, with a real
 * worker process on the wasm backend: the same weights give the same
 * records in both (to 1e-5), NaN weights still give a record, nothing
 * leaks on either side, and the worker rebuilds the model from its
 * topology rather than borrowing the thread's.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerMeasurement } from '@gradscope/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import type { FromWorker, MeasuredReply } from '../measure-worker/messages.js';
import { MeasureCache } from '../measure-cache.js';
import { measureModel } from '../measure-model.js';
import { startNodeMeasureWorker } from '../platform/node/node-measure-worker.js';
import { selectRecurrentLayers } from '../recurrent-layers.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { countingKernels } from '../test-helpers/kernel-count.js';
import { worstRelative } from '../test-helpers/records.js';
import { layersNeeded } from './weight-snapshot.js';
import { MAX_UNANSWERED, WorkerMeasurer } from './worker-measurer.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';

beforeAll(async () => {
  await useTestBackend();
});

const T = 12;

/** A model with every built-in cell kind: LSTM → GRU → SimpleRNN → Dense, compiled with a loss name. */
function threeCells(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 6, inputShape: [T, 3], returnSequences: true }));
  model.add(tf.layers.gru({ units: 5, returnSequences: true }));
  model.add(tf.layers.simpleRNN({ units: 4 }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return model;
}

async function nextMeasured(measurer: WorkerMeasurer): Promise<MeasuredReply> {
  const t0 = Date.now();
  const { replies, gaveUpAfterMs } = await measurer.settle();
  const measured = replies.filter((r): r is MeasuredReply => r.type === 'measured');
  expect(replies.filter((r) => r.type !== 'measured')).toEqual([]);
  // Once, in a full suite's run, a round had no reply and nothing else: what the measurer says of itself then.
  const state = { ...measurer, waitedMs: Date.now() - t0, gaveUpAfterMs, idle: measurer.idle, warm: measurer.warm, stalledMs: measurer.stalledMs };
  const said = JSON.stringify(state, (k, v) => (['link', 'needed', 'weights', 'clones'].includes(k) ? undefined : v instanceof Set ? [...v] : v));
  expect(measured.length, said).toBe(1);
  return measured[0]!;
}

describe('measuring in a worker', () => {
  let probe: { xs: tf.Tensor; ys: tf.Tensor };
  beforeAll(() => {
    probe = { xs: tf.randomNormal([4, T, 3], 0, 1, 'float32', 5), ys: tf.randomNormal([4, 1], 0, 1, 'float32', 6) };
  });
  afterAll(() => tf.dispose([probe.xs, probe.ys]));

  it('gives the records the training thread gives for the same weights (to 1e-5), and leaks nothing on either side', async () => {
    const model = threeCells();
    const measurer = await WorkerMeasurer.start(startNodeMeasureWorker, model, selectRecurrentLayers(model), probe, { k: 4 });
    const cache = new MeasureCache();
    try {
      const before = tf.memory().numTensors;
      const workerTensors: number[] = [];
      for (let round = 0; round < 3; round++) {
        // New weights each round, so the worker cannot pass by returning an earlier record.
        const moved = model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, 'float32', 10 * round + i))));
        model.setWeights(moved);
        tf.dispose(moved);
        const kernels = countingKernels();
        await measurer.snapshot(round, 0, [1, 2, 3]);
        // Once the worker is ready (after the first snapshot's reply), wasm's weights are read at once: no clone kernels.
        if (round > 0) expect(kernels.stop()).toBe(0);
        else kernels.stop();
        const reply = await nextMeasured(measurer);
        expect(reply.step).toBe(round);
        workerTensors.push(reply.numTensors);
        // The thread keeps a warm-start cache as the worker does (and as the monitor does on the thread).
        const onThread: LayerMeasurement[] = await measureModel(model, probe, { k: 4, gradNormHistory: [1, 2, 3], cache });
        expect(reply.layers.map((l) => l.layer)).toEqual(onThread.map((l) => l.layer));
        const worst = worstRelative(reply.layers, onThread);
        expect(worst.diff, `worst at ${worst.path}`).toBeLessThanOrEqual(1e-5);
      }
      // The snapshots leave nothing behind: only the thread cache's vectors (one per cell) are new.
      expect(tf.memory().numTensors).toBe(before + cache.size);
      expect(new Set(workerTensors).size).toBe(1);
    } finally {
      cache.dispose();
      await measurer.close();
      model.dispose();
    }
    expect(await measureWorkersLeft()).toBe(0);
  });

  it('without targets (no loss) sends the measured layers and those upstream, Bidirectional and stacked cells included, and agrees with the thread', async () => {
    const input = tf.input({ shape: [T, 3] });
    const dense = tf.layers.dense({ units: 3, name: 'upstream' }).apply(input) as tf.SymbolicTensor;
    const bidi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true }) as never, name: 'bidi' }).apply(dense);
    const stacked = tf.layers.rnn({ cell: [tf.layers.gruCell({ units: 3 }), tf.layers.simpleRNNCell({ units: 5 })], name: 'stack', returnSequences: true }).apply(bidi as tf.SymbolicTensor);
    const after = tf.layers.dense({ units: 1, name: 'downstream' }).apply(stacked as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: after });
    const targets = selectRecurrentLayers(model, ['bidi']);
    expect(layersNeeded(model, targets, { xs: probe.xs }).map((l) => l.name)).toEqual(['upstream', 'bidi']);
    const measurer = await WorkerMeasurer.start(startNodeMeasureWorker, model, selectRecurrentLayers(model), { xs: probe.xs }, {});
    try {
      await measurer.snapshot(0, 0, []);
      const reply = await nextMeasured(measurer);
      const onThread = await measureModel(model, { xs: probe.xs }, { gradNormHistory: [] });
      expect(reply.layers.map((l) => l.layer)).toEqual(['bidi/forward', 'bidi/backward', 'stack/cell_0', 'stack/cell_1']);
      const worst = worstRelative(reply.layers, onThread);
      expect(worst.diff, `worst at ${worst.path}`).toBeLessThanOrEqual(1e-5);
    } finally {
      await measurer.close();
      model.dispose();
    }
  });

  it('still gives a record for NaN weights', async () => {
    const model = threeCells();
    const gru = model.layers[1]!;
    gru.setWeights(gru.getWeights().map((w) => tf.fill(w.shape, NaN)));
    const measurer = await WorkerMeasurer.start(startNodeMeasureWorker, model, selectRecurrentLayers(model), probe, {});
    try {
      await measurer.snapshot(7, 1, []);
      const reply = await nextMeasured(measurer);
      expect([reply.step, reply.epoch]).toEqual([7, 1]);
      expect(reply.layers.map((l) => l.layer)).toEqual(selectRecurrentLayers(model).flatMap((t) => t.cells.map((c) => c.name)));
      expect(reply.layers[1]!.stepNorm.mean.some(Number.isNaN)).toBe(true);
    } finally {
      await measurer.close();
      model.dispose();
    }
  });
});

describe('a worker that answers nothing', () => {
  it(`is sent at most ${MAX_UNANSWERED} snapshots, not one per step, and is sent again once it answers`, async () => {
    // The real worker behind a link that holds back its replies after 'ready' (a worker starved of CPU, taken to the limit).
    let holding = true;
    const held: FromWorker[] = [];
    const posted: number[] = [];
    const launch = async (): Promise<MeasureWorkerLink> => {
      const real = await startNodeMeasureWorker();
      return {
        backend: real.backend,
        threadTakesOver: real.threadTakesOver,
        post: (msg, transfer) => {
          if (msg.type === 'snapshot') posted.push(msg.step);
          real.post(msg, transfer);
        },
        poll: () => {
          for (let r = real.poll(); r; r = real.poll()) held.push(r);
          const i = held.findIndex((r) => r.type === 'ready' || !holding);
          return i < 0 ? undefined : held.splice(i, 1)[0];
        },
        terminate: () => real.terminate(),
        get died() {
          return real.died;
        },
      };
    };
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 4, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
    const xs = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 3);
    const measurer = await WorkerMeasurer.start(launch, model, selectRecurrentLayers(model), { xs }, {});
    try {
      await measurer.snapshot(0, 0, []); // held until ready, then posted
      const deadline = Date.now() + 60_000;
      while (posted.length === 0 && Date.now() < deadline) {
        measurer.take();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(posted).toEqual([0]);
      for (let step = 1; step <= 30; step++) {
        measurer.take();
        if (measurer.idle) await measurer.snapshot(step, 0, []);
      }
      // Steps 0, 1, 2 (with MAX_UNANSWERED = 3): then none until the worker answers.
      expect(posted).toEqual(Array.from({ length: MAX_UNANSWERED }, (_, step) => step));
      // It answers: the held replies come through, and snapshots flow again.
      holding = false;
      const { replies } = await measurer.settle();
      expect(replies.some((r) => r.type === 'measured')).toBe(true);
      expect(measurer.idle).toBe(true);
      await measurer.snapshot(31, 0, []);
      expect(posted.at(-1)).toBe(31);
    } finally {
      await measurer.close();
      model.dispose();
      xs.dispose();
    }
  });
});

describe('a snapshot the channel refuses', () => {
  it('is a failed reply, and the snapshot is handed back to be measured on the thread at its step', async () => {
    // The real worker behind a link whose post refuses snapshots, as a page's postMessage does with a DataCloneError.
    const launch = async (): Promise<MeasureWorkerLink> => {
      const real = await startNodeMeasureWorker();
      return {
        backend: real.backend,
        threadTakesOver: real.threadTakesOver,
        post: (msg, transfer) => {
          if (msg.type === 'snapshot') throw new Error('refused by the channel');
          real.post(msg, transfer);
        },
        poll: () => real.poll(),
        terminate: () => real.terminate(),
        get died() {
          return real.died;
        },
      };
    };
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 4, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
    const xs = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 3);
    const measurer = await WorkerMeasurer.start(launch, model, selectRecurrentLayers(model), { xs }, {});
    try {
      // Held until the worker is ready, then read back and posted in the background while settle() waits.
      await measurer.snapshot(0, 0, []);
      const { replies, gaveUpAfterMs } = await measurer.settle();
      expect(gaveUpAfterMs).toBeNull();
      expect(replies).toEqual([{ type: 'failed', phase: 'weights', message: 'refused by the channel', step: 0 }]);
      // Before the change the refused snapshot was dropped, and a run lost its step-0 baseline.
      const lost = await measurer.takeLost();
      expect(lost.map((l) => l.step)).toEqual([0]);
      const values = lost[0]!.weights.flatMap((w) => w.values.map((v) => Array.from(v.values)));
      expect(values).toEqual(model.layers[0]!.getWeights().map((w) => Array.from(w.dataSync())));
    } finally {
      await measurer.close();
      model.dispose();
      xs.dispose();
    }
  });
});
