/**
 * The messages between the training thread and the measurement worker.
 * Everything is structured-cloneable; weight and probe values travel as
 * typed arrays in the transfer list, so posting them copies nothing.
 *
 * The thread sends `init` once (the model's topology, its loss, the probe,
 * the measurement options), then, once the worker is ready, a `snapshot` at
 * every due step. The worker never holds a queue of stale snapshots: one
 * read while it measures replaces the one waiting in its mailbox, which is
 * answered 'skipped' (measure-handler.ts). Until the worker's event loop
 * reads them, those posted during one measurement wait in the channel.
 */
import type { LayerMeasurement } from '@gradscope/protocol';

/** A tensor as values: what tf.tensor(values, shape, dtype) rebuilds. */
export interface TensorValues {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  values: Float32Array | Int32Array | Uint8Array;
}

export interface InitMessage {
  type: 'init';
  /** model.toJSON(): the topology tf.models.modelFromJSON rebuilds. */
  modelJson: string;
  /** The compiled loss as compile() took it (loss names only), or null when no loss is measured. */
  loss: string | string[] | Record<string, string> | null;
  probe: { xs: TensorValues[]; ys: TensorValues[] | null };
  /** measureModel's options the monitor passes (monitor/options.ts measureOptionsOf). */
  measure: { layers?: string[]; k?: number; stopsOnNaN?: boolean };
  /** The training thread's backend: a Node worker without wasm measures on cpu only when training does too. */
  trainingBackend: string;
  /** The backend to use where the entry does not choose one itself (a page's worker). */
  backend: string | null;
}

/** The weights of the layers a measurement needs, as of training step `step`. */
export interface SnapshotMessage {
  type: 'snapshot';
  step: number;
  epoch: number;
  weights: { layer: string; values: TensorValues[] }[];
  gradNormHistory: number[];
  /**
   * The run's first snapshot (held until the worker was ready): measured
   * even when newer ones arrive before the worker gets to it, since every
   * run has its measurement at its first step.
   */
  first?: boolean;
}

export interface CloseMessage {
  type: 'close';
}

export type ToWorker = InitMessage | SnapshotMessage | CloseMessage;

export interface ReadyReply {
  type: 'ready';
  backend: string;
}

/** A measurement of the snapshot taken at `step`. */
export interface MeasuredReply {
  type: 'measured';
  step: number;
  epoch: number;
  layers: LayerMeasurement[];
  durationMs: number;
  /**
   * The CPU time the worker's measuring thread spent on it, where the platform tells
   * (Linux); less than durationMs when the worker waited for a core. What
   * the training thread would pay to measure the same snapshot.
   */
  cpuMs?: number;
  /** The worker's tf.memory().numTensors after the measurement: flat when nothing leaks. */
  numTensors: number;
}

/** A snapshot not measured: a newer one arrived while the worker was busy (the worker measures the newest). */
export interface SkippedReply {
  type: 'skipped';
  step: number;
}

/**
 * Something failed. 'start' and 'rebuild' (the worker cannot reproduce the
 * model) and 'weights' (the snapshot does not fit the rebuilt model) mean
 * the worker cannot measure this model at all; 'measure' is one
 * measurement failing, as it could on the training thread.
 */
export interface FailedReply {
  type: 'failed';
  phase: 'start' | 'rebuild' | 'weights' | 'measure';
  message: string;
  step?: number;
}

export type FromWorker = ReadyReply | MeasuredReply | SkippedReply | FailedReply;
