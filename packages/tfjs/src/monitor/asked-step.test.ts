import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { gradscope } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

const logdir = tempLogdirsPerTest();

function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.simpleRNN({ units: 6, inputShape: [8, 2] }));
  m.add(tf.layers.dense({ units: 1 }));
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return m;
}

/** A model.fit of 8 steps whose own callback, before or after gradscope's, calls monitor.measure() at batch 5; the events' steps in order. */
async function fitAsking(order: 'before' | 'after', worker: boolean): Promise<{ type: string; step: number }[]> {
  const dir = logdir();
  const m = model();
  const xs = tf.randomNormal([16, 8, 2], 0, 1, 'float32', 3);
  const ys = tf.randomNormal([16, 1], 0, 1, 'float32', 4);
  const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: Infinity, worker, serve: false });
  const asking = new tf.CustomCallback({ onBatchEnd: async (batch) => void (batch === 5 && (await monitor.measure(m))) });
  await m.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: order === 'before' ? [asking, monitor] : [monitor, asking], verbose: 0 });
  tf.dispose([xs, ys]);
  m.dispose();
  const events = readRuns(dir).get(monitor.runId!)!;
  return events.filter((e) => e.type === 'train-step' || e.type === 'measurement').map((e) => ({ type: e.type, step: e.step }));
}

describe('monitor.measure() from a fit callback', () => {
  // On this thread every step is measured (every: 1, no budget): the asked measurement is the one at step 5.
  it('after gradscope\'s callback: belongs to the step just recorded, 5, not the next', async () => {
    const events = await fitAsking('after', false);
    const measured = ofType(events as any, 'measurement').map((e: any) => e.step);
    // The cadence's measurement of step 5 and the asked one (the same weights), then step 6's.
    expect(measured).toEqual([0, 1, 2, 3, 4, 5, 5, 6, 7]);
    // Both after step 5's train-step event, before step 6's.
    const at = events.findIndex((e) => e.type === 'train-step' && e.step === 6);
    expect(events.slice(at - 3, at)).toEqual([{ type: 'train-step', step: 5 }, { type: 'measurement', step: 5 }, { type: 'measurement', step: 5 }]);
  });

  it('before gradscope\'s callback: belongs to step 5, which the cadence then does not measure again', async () => {
    const events = await fitAsking('before', false);
    expect(ofType(events as any, 'measurement').map((e: any) => e.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('with the worker: every measurement event keeps its step, none twice but the asked one\'s twin', async () => {
    for (const order of ['before', 'after'] as const) {
      const steps = ofType((await fitAsking(order, true)) as any, 'measurement').map((e: any) => e.step);
      // The worker measures when free, so which steps it reached varies; the labels stay in order, within the run's steps,
      // with step 5 among them and at most the asked one's twin (after gradscope's callback) twice.
      expect(steps).toContain(5);
      expect([...steps].sort((a, b) => a - b)).toEqual(steps);
      expect(steps.every((s: number) => s >= 0 && s <= 7)).toBe(true);
      const twice = steps.filter((s: number, i: number) => steps.indexOf(s) !== i);
      expect(twice.every((s: number) => order === 'after' && s === 5)).toBe(true);
    }
  }, 60_000);

  it('with an optimizer that keeps no count: the step to be recorded next, as before, and the cadence measures it too', async () => {
    // A user-written optimizer: tf.Optimizer's count stays 0, which must not read as "no update since the record".
    class PlainSGD extends tf.Optimizer {
      applyGradients(gradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
        const list = Array.isArray(gradients) ? gradients : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
        for (const { name, tensor } of list) {
          const v = tf.engine().registeredVariables[name]!;
          tf.tidy(() => v.assign(tf.sub(v, tf.mul(tensor, 0.05))));
        }
      }
      getConfig() {
        return {};
      }
    }
    const dir = logdir();
    const m = tf.sequential();
    m.add(tf.layers.simpleRNN({ units: 4, inputShape: [8, 2] }));
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ optimizer: new PlainSGD(), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([2, 8, 2], 0, 1, 'float32', 5);
    const ys = tf.randomNormal([2, 1], 0, 1, 'float32', 6);
    const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, serve: false, every: 2, budget: Infinity, worker: false });
    for (let i = 0; i < 5; i++) {
      const loss = (await m.trainOnBatch(xs, ys)) as number;
      if (i === 2) await monitor.measure(m); // between step 2's training and its step()
      await monitor.step(m, { loss });
    }
    await monitor.close();
    const events = readRuns(dir).get(monitor.runId!)!;
    expect(ofType(events, 'measurement').map((e) => e.step)).toEqual([0, 2, 2, 4]);
    tf.dispose([xs, ys]);
    m.dispose();
  });
});
