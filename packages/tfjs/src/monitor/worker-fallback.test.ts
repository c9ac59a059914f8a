/**
 * gradscope() falling back to measuring on the training thread, with a real
 * worker process: a model the worker cannot rebuild (a custom
 * layer, a loss function), a worker that dies mid-run, one CPU core. Each
 * says so once, naming the reason.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkerDeclined, type MeasureWorkerLink } from '../measure-worker/link.js';
import { startNodeMeasureWorker } from '../platform/node/node-measure-worker.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { installPlatform, platform } from '../platform/platform.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { runModuleScript, tinyGruScript } from '../test-helpers/module-script.js';
import { ofType, readRuns, tempLogdirsPerTest } from '../test-helpers/runs.js';
import { holdFirstStepForWorker } from '../test-helpers/worker-answered.js';
import { data, rnn, T } from '../test-helpers/worker-models.js';
import { gradscope } from './monitor.js';
import { measureWorkersLeft } from '../test-helpers/measure-workers-left.js';

beforeAll(async () => {
  await useTestBackend();
});

const logdir = tempLogdirsPerTest();

/**
 * Installs the Node platform with the real worker, which the test can end
 * (kill) as a crash would: the link then reports it died. `measured`: the
 * worker has answered a snapshot.
 */
function killableWorker(): { kill: () => Promise<void>; readonly measured: boolean } {
  let kill: () => Promise<void> = async () => {};
  let measured = false;
  installPlatform({
    ...nodePlatform,
    async startMeasureWorker(): Promise<MeasureWorkerLink> {
      const real = await startNodeMeasureWorker();
      let died: Error | null = null;
      kill = async () => {
        await real.terminate();
        died = new Error('killed by the test');
      };
      const poll = () => {
        const reply = real.poll();
        if (reply?.type === 'measured') measured = true;
        return reply;
      };
      return { backend: real.backend, threadTakesOver: real.threadTakesOver, post: (m, t) => real.post(m, t), poll, terminate: () => real.terminate(), get died() { return died; } };
    },
  });
  return {
    kill: () => kill(),
    get measured() {
      return measured;
    },
  };
}

describe('gradscope() falling back to the training thread', () => {
  async function fallback(model: tf.LayersModel): Promise<{ alerts: string[]; warnings: string[]; measuredIn: (string | undefined)[]; shares: { waitShare?: number | null; slowdownShare?: number | null } }> {
    const dir = logdir();
    const { xs, ys } = data(8);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000 });
      // The worker's answer (here: it cannot rebuild the model) comes before the run's second step.
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, holdFirstStepForWorker()], verbose: 0 });
      const events = readRuns(dir).get(monitor.runId!)!;
      // However the measurements went, run-end counts the steps trained.
      expect(ofType(events, 'run-end')[0]!.totals.steps).toBe(ofType(events, 'train-step').length);
      return {
        alerts: ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread').map((a) => a.message),
        warnings: warn.mock.calls.map((c) => String(c[0])),
        measuredIn: ofType(events, 'measurement').map((m) => m.measuredIn),
        shares: (({ waitShare, slowdownShare }) => ({ waitShare, slowdownShare }))(ofType(events, 'run-end')[0]!.totals),
      };
    } finally {
      warn.mockRestore();
      installPlatform(nodePlatform);
      tf.dispose([xs, ys]);
    }
  }

  it('for a custom layer the worker cannot rebuild: says so once, naming the layer, and measures every step on the thread', async () => {
    const model = rnn({ custom: true });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { alerts, warnings, measuredIn, shares } = await fallback(model);
    expect(alerts.length).toBe(1);
    // The worker started, and gave up before measuring: its wait was read (none charged); no step was read
    // against a resting one, so the steps' excess is not claimed as 0.
    expect(shares).toEqual({ waitShare: process.platform === 'linux' ? 0 : null, slowdownShare: null });
    expect(alerts[0]).toMatch(/measuring on the training thread, not in a worker: the worker could not rebuild the model \(.*Doubling.*\)\. Pass worker: false/);
    expect(warnings).toEqual([`gradscope: ${alerts[0]}`]);
    // The first step's snapshot was held for the worker while it started; the thread measures in its place.
    expect(measuredIn.length).toBeGreaterThanOrEqual(1);
    expect(measuredIn).toEqual(measuredIn.map(() => 'thread'));
    expect(await measureWorkersLeft()).toBe(0);
  });

  it("for a custom layer the worker could not rebuild in the model's earlier run: starts no worker again, says why, measures on the thread from step 0", async () => {
    // The worker's answer comes before each run's second step (holdFirstStepForWorker installs the platform that
    // reads it); the workers started are counted around that platform.
    const hold = holdFirstStepForWorker();
    const installed = platform();
    let started = 0;
    installPlatform({
      ...installed,
      startMeasureWorker: () => {
        started++;
        return installed.startMeasureWorker();
      },
    });
    const dir = logdir();
    const model = rnn({ custom: true });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, every: 1, budget: 1000 });
      const runs: string[] = [];
      for (let i = 0; i < 3; i++) {
        await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor, hold], verbose: 0 });
        runs.push(monitor.runId!);
      }
      expect(started).toBe(1);
      const all = readRuns(dir);
      const alerts = runs.map((id) => ofType(all.get(id)!, 'alert').filter((a) => a.kind === 'measured-on-thread').map((a) => a.message));
      expect(alerts[0]).toEqual([expect.stringMatching(/not in a worker: the worker could not rebuild the model \(.*Doubling.*\)\. Pass worker: false/)]);
      // The later runs say the same, at their first step.
      expect(alerts.slice(1)).toEqual([alerts[0], alerts[0]]);
      // Said once on the console (once per monitor), recorded in every run.
      expect(warn.mock.calls.length).toBe(1);
      for (const id of runs.slice(1)) {
        const measured = ofType(all.get(id)!, 'measurement');
        expect(measured.map((m) => [m.step, m.measuredIn])).toEqual(measured.map((_, i) => [i, 'thread']));
        expect(measured.length).toBe(ofType(all.get(id)!, 'train-step').length);
      }
      expect(await measureWorkersLeft()).toBe(0);
    } finally {
      warn.mockRestore();
      installPlatform(nodePlatform);
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('for a class the program registered after loading gradscope: says so before any worker starts, and measures every step, the first too', async () => {
    // Registered here, as a program does after its imports: the worker's tfjs would not have it.
    class Tripling extends tf.layers.Layer {
      static className = 'TriplingAfterLoad';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 3);
      }
    }
    tf.serialization.registerClass(Tripling);
    const dir = logdir();
    const model = tf.sequential();
    model.add(new Tripling({ inputShape: [T, 2] }));
    model.add(tf.layers.simpleRNN({ units: 5 }));
    model.add(tf.layers.dense({ units: 1 }));
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const { xs, ys } = data(6);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, serve: false, every: 1, budget: Infinity });
      // A run shorter than a worker's start: before, it ended with one measurement and no word of why.
      await model.fit(xs, ys, { epochs: 1, batchSize: 1, callbacks: [monitor], verbose: 0 });
      const events = readRuns(dir).get(monitor.runId!)!;
      const alerts = ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread').map((a) => a.message);
      expect(alerts).toEqual([expect.stringContaining("the model uses a class registered in this program only ('TriplingAfterLoad'), which a worker's tfjs does not have")]);
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([`gradscope: ${alerts[0]}`]);
      expect(ofType(events, 'measurement').map((m) => [m.step, m.measuredIn])).toEqual([0, 1, 2, 3, 4, 5].map((step) => [step, 'thread']));
      // No worker started: neither share of its cost is read, and none is left.
      const totals = ofType(events, 'run-end')[0]!.totals;
      expect([totals.waitShare, totals.slowdownShare]).toEqual([null, null]);
      expect(await measureWorkersLeft()).toBe(0);
    } finally {
      warn.mockRestore();
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('for a loss function: says so once, naming the reason, and measures on the thread', async () => {
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) });
    const { alerts, warnings, measuredIn, shares } = await fallback(model);
    expect(alerts).toEqual([expect.stringContaining("the model's loss is a function, which a worker cannot rebuild")]);
    // No worker started: neither share of its cost is read.
    expect(shares).toEqual({ waitShare: null, slowdownShare: null });
    expect(warnings.length).toBe(1);
    expect(measuredIn).toEqual(['thread', 'thread']);
  });

  it('for fit() after fit() with the same monitor (a notebook): the console hears it once, every run records it', async () => {
    const model = rnn();
    model.compile({ optimizer: 'sgd', loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) });
    const dir = logdir();
    const { xs, ys } = data(4);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      // With the console sink (the default), which prints alerts: not this one.
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, serve: false, every: 1, budget: Infinity });
      for (let i = 0; i < 3; i++) await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [monitor], verbose: 0 });
      const runs = [...readRuns(dir).values()];
      expect(runs.length).toBe(3);
      const alerts = runs.map((events) => ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread').map((a) => a.message));
      expect(alerts).toEqual([0, 1, 2].map(() => [expect.stringContaining("the model's loss is a function, which a worker cannot rebuild")]));
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([`gradscope: ${alerts[0]![0]}`]);
      expect(log.mock.calls.filter((c) => String(c[0]).includes('which a worker cannot rebuild'))).toEqual([]);
      // A second monitor is another reader of the console: it is told again.
      const other = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: dir, console: false, serve: false, every: 1, budget: Infinity });
      await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [other], verbose: 0 });
      expect(warn.mock.calls.length).toBe(2);
    } finally {
      warn.mockRestore();
      log.mockRestore();
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('when the worker dies mid-run: says so once, with its error, and measures on the thread from then on', async () => {
    // The real worker, ended by the test after a few steps; the link reports what a crash reports.
    const worker = killableWorker();
    try {
      const dir = logdir();
      const model = rnn();
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const { xs, ys } = data(8);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1, budget: 1000 });
      // Steps until the worker has measured once (it starts beside training, in its own time), then the kill, then 8 more.
      let steps = 0;
      let killedAt: number | null = null;
      const deadline = Date.now() + 60_000;
      while (killedAt === null || steps < killedAt + 8) {
        if (killedAt === null && (worker.measured || Date.now() > deadline)) {
          await worker.kill();
          killedAt = steps;
        }
        await monitor.step(model, { loss: 1 });
        steps++;
        if (killedAt === null) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await monitor.close();
      const warnings = warn.mock.calls.map((c) => String(c[0]));
      warn.mockRestore();
      const events = readRuns(dir).get(monitor.runId!)!;
      const alerts = ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread');
      expect(alerts.map((a) => a.message)).toEqual([expect.stringContaining('the worker stopped: killed by the test')]);
      expect(warnings).toEqual([`gradscope: ${alerts[0]!.message}`]);
      const measured = ofType(events, 'measurement');
      // Before it, what the worker measured.
      expect(measured.filter((m) => m.seq < alerts[0]!.seq).every((m) => m.measuredIn === 'worker')).toBe(true);
      // From the alert on, on the thread: first the snapshot the worker had in hand at the kill, at its own step
      // (when there was one: the machine's load decides; worker-death.test.ts makes each case certain), then every step.
      const after = measured.filter((m) => m.seq > alerts[0]!.seq);
      expect(after.map((m) => m.measuredIn)).toEqual(after.map(() => 'thread'));
      expect(worker.measured).toBe(true);
      // The step at which the thread took over measured the lost snapshot instead of its own: a gap of one step after it.
      const own = after.length > 1 && after[1]!.step - after[0]!.step > 1 ? after.slice(1) : after;
      expect(own[0]!.step).toBeLessThanOrEqual(killedAt! + 2);
      expect(own.map((m) => m.step)).toEqual(Array.from({ length: steps - own[0]!.step }, (_, i) => own[0]!.step + i));
      tf.dispose([xs, ys]);
    } finally {
      installPlatform(nodePlatform);
    }
  });

  it('when the worker dies under the default budget: the takeover does not hold the thread off (its cost is waived, as the first step\'s)', async () => {
    // Found by review: charged as a measurement, the takeover (the lost snapshot measured cold on a rebuilt copy)
    // held the thread's next measurement off for the remaining 104 steps of a 200-step run.
    const worker = killableWorker();
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(8);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1 });
      // Killed while it starts, before it has measured (nothing of the worker's is charged), ten steps in: the
      // thread takes over the first step's snapshot it held. Each step says it trained 100 ms (step()'s
      // trainingMs), so the budget's 5% allows 5 ms of the monitor's time per step. A takeover charged as a
      // measurement (a cold measurement on a rebuilt copy) would hold the next one off until training had grown
      // by 20 times twice its cost: at least 2 × its duration / 5 ms steps. Waived, only the hooks' own time
      // can delay it, which on a busy machine is a few steps.
      for (let step = 0; step < 60; step++) {
        if (step === 10) await worker.kill();
        await monitor.step(model, { loss: 1 }, 100);
      }
      await monitor.close();
      const events = readRuns(dir).get(monitor.runId!)!;
      const alert = ofType(events, 'alert').find((a) => a.kind === 'measured-on-thread')!;
      expect(alert.message).toContain('killed by the test');
      const onThread = ofType(events, 'measurement').filter((m) => m.seq > alert.seq && m.measuredIn === 'thread');
      // The takeover's (the held snapshot, at step 0), then the thread's own.
      const takeover = onThread[0]!;
      expect(takeover.step).toBe(0);
      const next = onThread.find((m) => m.step > alert.step)!;
      expect(next.step - alert.step).toBeLessThan(Math.max(3, (2 * takeover.durationMs) / 5));
    } finally {
      warn.mockRestore();
      installPlatform(nodePlatform);
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it("a reason that ends its own sentence (a browser's 'failed to load.') is not given a second full stop", async () => {
    installPlatform({
      ...nodePlatform,
      async startMeasureWorker(): Promise<MeasureWorkerLink> {
        throw new WorkerDeclined('the measurement worker script failed to load.');
      },
    });
    const dir = logdir();
    const model = rnn();
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { xs, ys } = data(4);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const monitor = gradscope({ probe: { xs, ys }, logdir: dir, console: false, every: 1 });
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor], verbose: 0 });
      const alerts = ofType(readRuns(dir).get(monitor.runId!)!, 'alert').filter((a) => a.kind === 'measured-on-thread');
      expect(alerts.map((a) => a.message)).toEqual(['measuring on the training thread, not in a worker: the measurement worker script failed to load. Pass worker: false to measure there without this message']);
    } finally {
      warn.mockRestore();
      installPlatform(nodePlatform);
      model.dispose();
      tf.dispose([xs, ys]);
    }
  });

  it('with one core available: no worker (it would take its time from training), said once', async () => {
    await expect(startNodeMeasureWorker(1)).rejects.toThrow('this process may use 1 CPU core, and a worker would take its time from training');
  });

  // The real thing: a process pinned to one core (taskset), where Node reports one available core.
  it.runIf(existsSync('/usr/bin/taskset'))('in a process pinned to one core with taskset, measures on the training thread and says why', async () => {
    const dir = logdir();
    const script = tinyGruScript(`
      await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [gradscope({ probe: { xs, ys }, logdir: ${JSON.stringify(dir)}, console: false, serve: false })] });
    `);
    const { stderr } = await runModuleScript(script, ['taskset', '-c', '0']);
    const events = [...readRuns(dir).values()][0]!;
    const alerts = ofType(events, 'alert').filter((a) => a.kind === 'measured-on-thread');
    expect(alerts.map((a) => a.message)).toEqual([
      'measuring on the training thread, not in a worker: no worker is started: this process may use 1 CPU core, and a worker would take its time from training. Pass worker: false to measure there without this message',
    ]);
    expect(stderr).toContain(alerts[0]!.message);
    expect(ofType(events, 'measurement').every((m) => m.measuredIn === 'thread')).toBe(true);
  });
});
