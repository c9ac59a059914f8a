/**
 * A run that training leaves open: tfjs calls no hook when fit() throws,
 * so the run ends when the process exits (its buffered events written, a
 * run-end saying why) or when the same monitor's next fit() begins. Real
 * child Node processes on the built package, real files.
 */
import '../test-helpers/node-platform.js';
import * as tf from '@tensorflow/tfjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { watchProcessExit } from '../platform/node/process-exit.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';
import { runModuleScript, tinyGruScript } from '../test-helpers/module-script.js';
import { ofType, onlyRun, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { data, rnn } from '../test-helpers/worker-models.js';
import { gradscope } from './monitor.js';

beforeAll(async () => {
  await useTestBackend();
});

const logdir = tempLogdirsPerTest();

/**
 * A script that fits 8 batches of one sample with `monitor`, then a
 * callback that throws after the monitor has recorded the fifth; `around`
 * wraps the fit (as it is: a top-level await, the error uncaught).
 */
function throwingFit(dir: string, around: (fit: string) => string, backend: 'best' | 'cpu' = 'best'): string {
  const fit = `await model.fit(xs, ys, { epochs: 1, batchSize: 1, verbose: 0, callbacks: [
    monitor,
    new tf.CustomCallback({ onBatchEnd: async (batch) => { if (batch === 4) throw new Error('a bug in the user callback at batch 4'); } }),
  ] });`;
  const monitor = `const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false });`;
  return tinyGruScript(`${monitor}\n${around(fit)}`, backend);
}

/** A compiled GRU model, its data and probe, and a callback that throws at the second batch. */
function throwingSecondBatch() {
  const model = rnn();
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const { xs, ys } = data(6);
  const thrower = new tf.CustomCallback({
    onBatchEnd: async (batch) => {
      if (batch === 1) throw new Error('first fit fails');
    },
  });
  return { model, xs, ys, probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, thrower };
}

/** The run-end of run `runId` as [status, reason] pairs, waited for up to 10 s: a run found over ends asynchronously. */
async function endedWhenTrainingWentOn(dir: string, runId: string): Promise<[string, string | null][]> {
  const ends = () => ofType(readRuns(dir).get(runId) ?? [], 'run-end');
  for (let i = 0; i < 500 && ends().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return ends().map((e) => [e.status, e.reason ?? null]);
}

describe('a run that fit() leaves open', () => {
  /** Runs the script, which must fail; its exit code and error output. */
  const failing = (script: string) =>
    runModuleScript(script).then(
      () => ({ code: 0, stderr: '' }),
      (err: Error & { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
    );

  it('is ended by an uncaught error that ends the process: every recorded step is written, and run-end is failed, naming the error', async () => {
    const dir = logdir();
    // On cpu (the wasm backend never loaded), Node handles the error itself and emits 'exit'.
    // The whole run takes well under the writer's one-second flush: without the exit's write the file would be empty.
    const { code, stderr } = await failing(throwingFit(dir, (fit) => fit, 'cpu'));
    expect(code).toBe(1);
    expect(stderr).toContain('a bug in the user callback at batch 4');
    const { events, unlocked, files } = onlyRun(dir);
    expect(ofType(events, 'train-step').map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
    const end = ofType(events, 'run-end');
    expect(end.length).toBe(1);
    expect(end[0]!.status).toBe('failed');
    expect(end[0]!.reason).toBe('the process ended on an uncaught error while the run was open: a bug in the user callback at batch 4');
    expect(end[0]!.totals.steps).toBe(5);
    expect(events.at(-1)!.type).toBe('run-end');
    expect(unlocked, `files: ${files.join(', ')}`).toBe(true);
  });

  it('keeps every recorded step when the wasm backend ends the process on an uncaught error without an exit event', async () => {
    const dir = logdir();
    // tfjs's wasm backend throws the error again from its own handler: Node exits with code 7 and emits no 'exit'.
    const { code, stderr } = await failing(throwingFit(dir, (fit) => fit));
    expect(code).toBe(7);
    expect(stderr).toContain('a bug in the user callback at batch 4');
    const { events } = onlyRun(dir);
    expect(ofType(events, 'train-step').map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
    // No run-end: nothing runs after that exit; a server shows the run as incomplete.
    expect(ofType(events, 'run-end')).toEqual([]);
  });

  it('is ended when a script that caught the error exits: run-end is failed and says the fit did not finish', async () => {
    const dir = logdir();
    await runModuleScript(throwingFit(dir, (fit) => `try { ${fit} } catch (err) { console.log('caught: ' + err.message); }`));
    const { events, unlocked } = onlyRun(dir);
    expect(ofType(events, 'train-step').length).toBe(5);
    const end = ofType(events, 'run-end');
    expect(end.map((e) => e.status)).toEqual(['failed']);
    expect(end[0]!.reason).toBe('the process exited (code 0) while the run was open: its fit() had not finished, or a custom loop had not called monitor.close()');
    expect(unlocked).toBe(true);
  });

  it('is ended as failed by monitor.close() in a finally after the fit() threw', async () => {
    const dir = logdir();
    await runModuleScript(
      throwingFit(dir, (fit) => `try { ${fit} } catch (err) { console.log('caught: ' + err.message); } finally { await monitor.close(); }`),
    );
    const { events, unlocked } = onlyRun(dir);
    expect(ofType(events, 'train-step').length).toBe(5);
    expect(ofType(events, 'run-end').map((e) => [e.status, e.reason])).toEqual([['failed', 'its fit() did not finish (it threw); monitor.close() ended the run']]);
    expect(unlocked).toBe(true);
  });

  it('does not blame an uncaught error a handler of the program caught when the process later exits cleanly', async () => {
    const dir = logdir();
    // A custom loop that never calls close(); an unrelated error thrown in a timer and swallowed by the program's own handler.
    const script = tinyGruScript(`
      process.on('uncaughtException', () => {});
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, worker: false });
      for (let i = 0; i < 3; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        await monitor.step(model, { loss });
        if (i === 0) await new Promise((resolve) => setTimeout(() => { setImmediate(resolve); throw new Error('unrelated timer error'); }, 0));
      }
    `, 'cpu');
    await runModuleScript(script);
    const { events, unlocked } = onlyRun(dir);
    expect(ofType(events, 'train-step').length).toBe(3);
    expect(ofType(events, 'run-end').map((e) => [e.status, e.reason])).toEqual([
      ['failed', 'the process exited (code 0) while the run was open: its fit() had not finished, or a custom loop had not called monitor.close()'],
    ]);
    expect(unlocked).toBe(true);
  });

  it('writes its end whether the process exits while close() is ending it or after', async () => {
    const dir = logdir();
    // The worker's end and the sinks' flush are awaited in close(): an exit can land in them.
    const script = tinyGruScript(`
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false });
      for (let i = 0; i < 3; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        await monitor.step(model, { loss });
      }
      setTimeout(() => process.exit(0), 5);
      await monitor.close();
      process.exit(0);
    `);
    await runModuleScript(script);
    const { events, unlocked } = onlyRun(dir);
    expect(ofType(events, 'train-step').length).toBe(3);
    expect(ofType(events, 'run-end').length).toBe(1);
    expect(events.at(-1)!.type).toBe('run-end');
    expect(unlocked).toBe(true);
  });

  it('counts the step being recorded when the process exits inside it (process.exit from the loss, as the measurement runs)', async () => {
    const dir = logdir();
    // Found by review: a SIGINT handler's process.exit inside the monitor's step hook gave a run-end at step 127,
    // totals.steps 128, after train-step events for steps 0–128. Here the exit comes from the compiled loss, which the
    // step's measurement calls (budget: Infinity measures every step), after the step's train-step event.
    const script = tinyGruScript(`
      let exitNow = false;
      model.compile({ optimizer: 'sgd', loss: (yt, yp) => { if (exitNow) process.exit(130); return tf.losses.meanSquaredError(yt, yp); } });
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, worker: false, every: 1, budget: Infinity });
      for (let i = 0; i < 6; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        if (i === 4) exitNow = true;
        await monitor.step(model, { loss });
      }
    `);
    await failing(script);
    const { events } = onlyRun(dir);
    const steps = ofType(events, 'train-step').map((e) => e.step);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    const [end] = ofType(events, 'run-end');
    expect(end!.reason).toBe('the process exited (code 130) while the run was open: its fit() had not finished, or a custom loop had not called monitor.close()');
    expect([end!.step, end!.totals.steps]).toEqual([4, 5]);
  });

  it("is ended by the same monitor's next fit(), which starts a run of its own", async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(6);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, serve: false, worker: false });
    const thrower = new tf.CustomCallback({
      onBatchEnd: async (batch) => {
        if (batch === 1) throw new Error('first fit fails');
      },
    });
    try {
      await expect(model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [monitor, thrower] })).rejects.toThrow('first fit fails');
      const first = monitor.runId;
      await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [monitor] });
      expect(monitor.runId).not.toBe(first);
      const runs = readRuns(dir);
      const [a, b] = [runs.get(first!)!, runs.get(monitor.runId!)!];
      expect(ofType(a, 'train-step').length).toBe(2);
      expect(ofType(a, 'run-end').map((e) => [e.status, e.reason])).toEqual([['failed', 'its fit() did not finish (it threw); the next fit() started a new run']]);
      expect(ofType(b, 'train-step').length).toBe(3);
      expect(ofType(b, 'run-end').map((e) => e.status)).toEqual(['completed']);
    } finally {
      await monitor.close();
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('is ended at the first update of training that goes on under another monitor: its tap, worker and run-end go with it', async () => {
    const dir = logdir();
    const before = tf.memory().numTensors;
    const { model, xs, ys, probe, thrower } = throwingSecondBatch();
    try {
      // With the measurement worker: the run left open holds its process.
      const first = gradscope({ probe, logdir: dir, console: false, serve: false, budget: Infinity });
      await expect(model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [first, thrower] })).rejects.toThrow('first fit fails');
      // What a notebook does next: a new monitor, the same model.
      const second = gradscope({ probe, logdir: dir, console: false, serve: false, worker: false });
      await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [second] });
      expect(await endedWhenTrainingWentOn(dir, first.runId!)).toEqual([['failed', 'its fit() did not finish (it threw); training went on without it']]);
      expect(ofType(readRuns(dir).get(second.runId!)!, 'run-end').map((e) => e.status)).toEqual(['completed']);
      // Neither run's wrapper is left on the optimizer, and no worker process is left.
      expect(Object.prototype.hasOwnProperty.call(model.optimizer, 'applyGradients')).toBe(false);
      expect(await measureWorkersLeft()).toBe(0);
      // The plain fit() after both: no monitor's reports or measurements on its steps.
      await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0 });
      expect(ofType(readRuns(dir).get(second.runId!)!, 'train-step').length).toBe(3);
    } finally {
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([xs, ys, probe.xs, probe.ys]);
    }
    // What tfjs keeps of a fit() that threw (its own), and nothing of either run: measured against a bare throwing fit.
    const beforeBare = tf.memory().numTensors;
    const bare = rnn();
    bare.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const again = data(6);
    await expect(bare.fit(again.xs, again.ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [thrower] })).rejects.toThrow('first fit fails');
    await bare.fit(again.xs, again.ys, { epochs: 1, batchSize: 2, verbose: 0 });
    bare.optimizer.dispose();
    bare.dispose();
    tf.dispose([again.xs, again.ys]);
    const tfjsKeeps = tf.memory().numTensors - beforeBare;
    expect(beforeBare - before).toBe(tfjsKeeps);
  });

  it('is ended by a later fit() of the model compiled again (a new optimizer its tap does not see)', async () => {
    const dir = logdir();
    const { model, xs, ys, probe, thrower } = throwingSecondBatch();
    try {
      const first = gradscope({ probe, logdir: dir, console: false, serve: false, budget: Infinity });
      await expect(model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [first, thrower] })).rejects.toThrow('first fit fails');
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const second = gradscope({ probe, logdir: dir, console: false, serve: false, worker: false });
      await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [second] });
      expect(await endedWhenTrainingWentOn(dir, first.runId!)).toEqual([['failed', 'its fit() did not finish (it threw); training went on without it']]);
      expect(await measureWorkersLeft()).toBe(0);
    } finally {
      model.dispose();
      tf.dispose([xs, ys, probe.xs, probe.ys]);
    }
  });

  it('does not end a custom loop\'s run for a fit() that threw before its own run began', async () => {
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const monitor = gradscope({ logdir: dir, console: false, serve: false, worker: false, every: 1, budget: Infinity });
    const dataset = tf.data.zip({ xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys)) }).batch(2);
    // Thrown at the first batch, before the monitor (after it in the list) took its probe and started a run.
    const early = new tf.CustomCallback({
      onBatchEnd: async () => {
        throw new Error('fails at once');
      },
    });
    try {
      await expect(model.fitDataset(monitor.tap(dataset as any), { epochs: 1, callbacks: [early, monitor], verbose: 0 })).rejects.toThrow('fails at once');
      for (let i = 0; i < 4; i++) {
        const loss = (await model.trainOnBatch(xs, ys)) as number;
        await monitor.step(model, { loss });
      }
      await monitor.close();
      const runs = [...readRuns(dir).values()];
      expect(runs.map((events) => [ofType(events, 'train-step').length, ofType(events, 'run-end')[0]?.status])).toEqual([[4, 'completed']]);
    } finally {
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('is not kept alive by its watch once its monitor and model are dropped, and its watch goes with it', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const listeners = process.listenerCount('exit');
    let ref: WeakRef<object> | null = null;
    await (async () => {
      const model = rnn();
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const { xs, ys } = data(2);
      const monitor = gradscope({ probe: { xs, ys }, logdir: logdir(), console: false, serve: false, worker: false });
      await monitor.step(model, { loss: 1 }); // a custom loop's run, never closed
      ref = new WeakRef((monitor as unknown as { session: object }).session);
      expect(process.listenerCount('exit')).toBe(listeners + 1);
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([xs, ys]);
    })();
    for (let i = 0; i < 20 && (ref!.deref() || process.listenerCount('exit') > listeners); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10)); // a WeakRef's target is kept until the end of the job; finalizers run later
      gc();
    }
    expect(ref!.deref()).toBeUndefined();
    expect(process.listenerCount('exit')).toBe(listeners);
  });

  it('leaves no process listener once its watch is unregistered (the signal listeners a turn of the event loop later)', async () => {
    const events = ['exit', 'uncaughtExceptionMonitor', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const before = events.map((e) => process.listenerCount(e));
    const watcher = () => ({ uncaught: () => {}, exit: () => {}, signal: () => {} });
    const stops = [watchProcessExit(watcher()), watchProcessExit(watcher())];
    expect(events.map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
    stops.forEach((stop) => stop());
    stops[0]!(); // twice: no effect
    expect(events.map((e) => process.listenerCount(e))).toEqual([before[0], before[1], ...before.slice(2).map((n) => n! + 1)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
    // A watch started again within that turn keeps them.
    const again = watchProcessExit(watcher());
    again();
    const kept = watchProcessExit(watcher());
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
    kept();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });
});
