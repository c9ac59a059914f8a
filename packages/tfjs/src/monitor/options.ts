import { checkOptions, type OptionCheck } from '@gradscope/protocol';
import { platform } from '../platform/platform.js';
import type { Probe } from '../probe.js';

/**
 * Options of gradscope(). Every option has a default; an unknown option or a
 * value of the wrong type is an error that names it.
 */
export interface GradscopeOptions {
  /**
   * The fixed batch the monitor re-runs the model on: { xs, ys } with a few
   * (8 is plenty) sequences. ys enables the gradient-through-time panel.
   * Required for fit; for fitDataset, `monitor.tap(dataset)` captures the
   * first batch instead. Kept fixed so measurements compare over training.
   */
  probe?: Probe;
  /** Recurrent layers to measure, by name. Default: all of them. */
  layers?: string[];
  /**
   * Measure at most every `every` training steps. Default 10. With a
   * worker (the default) it is at most one snapshot every `every` steps:
   * the worker measures the newest one whenever it is free, so the
   * achieved interval is the larger of `every` and the worker's
   * measurement time in training steps.
   */
  every?: number;
  /**
   * Fraction of training time the monitor may use on the training thread,
   * default 0.05. The monitor times itself and spaces measurements
   * out to stay within it. With a worker, what the thread pays is the
   * snapshot and the handling of results, not the measurement; and what
   * the worker costs training is held to the same fraction on an account
   * of its own: per measurement, the larger of how much longer training
   * steps took while the worker measured than while it rested
   * (slowdown-charge.ts: the worker rests a step now and then for that
   * baseline) and, on Linux, the time the training thread waited for a core
   * (run-queue-charge.ts), each at most the worker's own time for the
   * measurement. A run with a worker may so slow by about twice the budget
   * (a little more: both charges are estimates). Past either account,
   * snapshots are spaced out. In Node, garbage collections of
   * training's own that V8 runs in the monitor's yields to the event loop
   * are not charged (see yield-collections.ts). The first
   * measurement (at the first step) always runs. Values above 1 let the
   * monitor take longer than training itself (for debugging); `Infinity`
   * makes `every` the only limit.
   */
  budget?: number;
  /**
   * Measure in a worker beside training (a child process in Node), from a
   * copy of the weights taken at the step: the training thread pays for the
   * copy only. Default true. false measures on the training thread. A model
   * a worker cannot rebuild (a custom layer or cell, a loss function rather
   * than a loss name), or no worker here, measures on the thread and says
   * so once.
   */
  worker?: boolean;
  /** Folder for runs (one sub-folder per run, events.jsonl). Default './gradscope-runs' in Node; false: no files. */
  logdir?: string | false;
  /** Human name of the run. Default: the model's name and the first recurrent layer's kind. */
  runName?: string;
  /** Stop training (model.stopTraining) when the loss or gradients become NaN/Infinity. Default false. */
  stopOnNaN?: boolean;
  /** Print one line per measurement with each layer's regime. Default true. */
  console?: boolean;
  /** Vectors propagated through the Jacobian product (= Lyapunov exponents reported). Default min(N, 8); at most every measured cell's state size N, checked when the run starts. */
  k?: number;
  /** Measure gradient norms every step by observing the optimizer (one download per step). Default true. */
  gradientNorms?: boolean;
  /** Alert when the gradient norm exceeds `spikeFactor` × its running median. Default 10. */
  spikeFactor?: number;
  /** A live server to publish to, e.g. 'ws://127.0.0.1:6007'. Default: none (see `serve`). */
  url?: string;
  /** Publisher token for a server bound beyond loopback. Default: none. */
  token?: string;
  /** Start the embedded dashboard server when no url is given (Node). Default true. */
  serve?: boolean;
}

export interface ResolvedOptions {
  probe: Probe | null;
  layers: string[] | null;
  every: number;
  budget: number;
  worker: boolean;
  logdir: string | false;
  runName: string | null;
  stopOnNaN: boolean;
  console: boolean;
  k: number | null;
  gradientNorms: boolean;
  spikeFactor: number;
  url: string | null;
  token: string | null;
  serve: boolean;
}

export const DEFAULTS: ResolvedOptions = {
  probe: null,
  layers: null,
  every: 10,
  budget: 0.05,
  worker: true,
  logdir: false, // the platform's default is filled in by resolveOptions
  runName: null,
  stopOnNaN: false,
  console: true,
  k: null,
  gradientNorms: true,
  spikeFactor: 10,
  url: null,
  token: null,
  serve: true,
};

type Check = OptionCheck;
const positiveInteger: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? null : 'a positive integer');
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'a non-empty string');

const CHECKS: Record<keyof GradscopeOptions, Check> = {
  probe: (v) => (typeof v === 'object' && v !== null && 'xs' in v ? null : 'an object { xs, ys? } of tensors'),
  layers: (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? null : 'a non-empty array of layer names'),
  every: positiveInteger,
  budget: (v) => (typeof v === 'number' && v > 0 && !Number.isNaN(v) ? null : 'a positive fraction of training time, e.g. 0.05'),
  worker: boolean,
  logdir: (v) => (v === false || (typeof v === 'string' && v.length > 0) ? null : 'a folder path or false'),
  runName: nonEmptyString,
  stopOnNaN: boolean,
  console: boolean,
  k: positiveInteger,
  gradientNorms: boolean,
  spikeFactor: (v) => (typeof v === 'number' && v > 1 && Number.isFinite(v) ? null : 'a number greater than 1'),
  url: (v) => (typeof v === 'string' && /^wss?:\/\/./.test(v) ? null : "a websocket URL such as 'ws://127.0.0.1:6007'"),
  token: nonEmptyString,
  serve: boolean,
};

/**
 * The options of every measurement the monitor makes, the same on the
 * training thread and in the worker: which layers, k, and whether stopOnNaN
 * is on (so the diagnosis does not suggest it).
 */
export function measureOptionsOf(options: ResolvedOptions): { layers?: string[]; k?: number; stopsOnNaN?: boolean } {
  return {
    ...(options.layers ? { layers: options.layers } : {}),
    ...(options.k !== null ? { k: options.k } : {}),
    ...(options.stopOnNaN ? { stopsOnNaN: true } : {}),
  };
}

/** Defaults spread in, then one precise error per bad option (the idiom every package uses: checkOptions). */
export function resolveOptions(options: GradscopeOptions = {}): ResolvedOptions {
  checkOptions('gradscope', options, CHECKS, 'gradscope({ probe: { xs, ys } })');
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  platform().checkOptions(defined);
  return { ...DEFAULTS, logdir: platform().defaultLogdir, ...defined } as ResolvedOptions;
}
