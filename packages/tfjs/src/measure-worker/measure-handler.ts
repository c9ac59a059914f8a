/**
 * The measurement worker's logic, whatever carries its messages (Node's
 * child process or a page's Web Worker: see node-entry.ts and
 * browser-entry.ts). It holds its own tfjs, a copy of the model rebuilt from
 * its topology, the probe, and a MeasureCache so each measurement starts
 * from the previous one's vectors as on the training thread. For each
 * snapshot it sets the weights, measures, and replies with the records, the
 * time it took and its own tensor count.
 */
import * as tf from '@tensorflow/tfjs';
import { MeasureCache } from '../measure-cache.js';
import { measureModel } from '../measure-model.js';
import type { Probe } from '../probe.js';
import type { FromWorker, InitMessage, SnapshotMessage, ToWorker } from './messages.js';
import { rebuildModel, setLayerWeights, toTensor } from './rebuild.js';

const message = (err: unknown) => ((err as Error)?.message ?? String(err)).split('\n')[0]!;

export interface HandlerHost {
  /** Selects this worker's backend for `init`; resolves to its name, or throws saying why it cannot measure here. */
  selectBackend(init: InitMessage): Promise<string>;
  post(reply: FromWorker): void;
  /** This thread's CPU time so far in ms, where the platform tells (absent: only wall time is reported). */
  cpuMs?(): number;
}

/** Returns the function to call with each message from the training thread. */
export function measureHandler(host: HandlerHost): (msg: ToWorker) => Promise<void> {
  let model: tf.LayersModel | null = null;
  let probe: Probe | null = null;
  let init: InitMessage | null = null;
  const cache = new MeasureCache();

  const start = async (msg: InitMessage) => {
    let backend: string;
    try {
      backend = await host.selectBackend(msg);
    } catch (err) {
      host.post({ type: 'failed', phase: 'start', message: message(err) });
      return;
    }
    try {
      model = await rebuildModel(msg.modelJson, msg.loss);
    } catch (err) {
      host.post({ type: 'failed', phase: 'rebuild', message: message(err) });
      return;
    }
    probe = { xs: msg.probe.xs.map(toTensor), ...(msg.probe.ys ? { ys: msg.probe.ys.map(toTensor) } : {}) };
    init = msg;
    host.post({ type: 'ready', backend });
  };

  const measure = async (msg: SnapshotMessage) => {
    if (!model || !probe || !init) return;
    try {
      setLayerWeights(model, msg.weights);
    } catch (err) {
      host.post({ type: 'failed', phase: 'weights', message: message(err), step: msg.step });
      return;
    }
    const t0 = performance.now();
    const cpu0 = host.cpuMs?.();
    try {
      const layers = await measureModel(model, probe, {
        ...init.measure,
        cache,
        gradNormHistory: msg.gradNormHistory,
      });
      const durationMs = performance.now() - t0;
      const cpuMs = cpu0 === undefined ? undefined : host.cpuMs!() - cpu0;
      host.post({ type: 'measured', step: msg.step, epoch: msg.epoch, layers, durationMs, ...(cpuMs === undefined ? {} : { cpuMs }), numTensors: tf.memory().numTensors });
    } catch (err) {
      host.post({ type: 'failed', phase: 'measure', message: message(err), step: msg.step });
    }
  };

  // Snapshots: a mailbox of one. A snapshot that arrives while the worker
  // measures replaces the one waiting (which is answered 'skipped'), so the
  // worker always goes on with the newest and never works through stale ones.
  // The run's first snapshot is kept apart and measured first: on a starved
  // worker the thread's next snapshots could otherwise replace it before the
  // worker reads its mailbox, and the run would have no step-0 measurement.
  let first: SnapshotMessage | null = null;
  let waiting: SnapshotMessage | null = null;
  let running: Promise<void> | null = null;
  const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  const drain = async () => {
    for (;;) {
      // Messages that arrived during the last measurement are delivered first: the newest is then waiting.
      await nextTask();
      const next = first ?? waiting;
      if (next === first) first = null;
      else waiting = null;
      if (!next) break;
      await measure(next);
    }
    running = null;
  };
  const receive = (msg: SnapshotMessage) => {
    if (msg.first) {
      first = msg;
    } else {
      if (waiting) host.post({ type: 'skipped', step: waiting.step });
      waiting = msg;
    }
    running ??= drain();
  };

  return async (msg) => {
    if (msg.type === 'init') await start(msg);
    else if (msg.type === 'snapshot') receive(msg);
    else if (msg.type === 'close') {
      first = null;
      waiting = null;
      await running;
      cache.dispose();
      model?.dispose();
      if (probe) tf.dispose([probe.xs, probe.ys ?? []].flat());
      model = null;
      probe = null;
    }
  };
}
