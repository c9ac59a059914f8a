/**
 * The events a monitored run emits, as one discriminated union on `type`.
 * The wire form is JSON (see encode.ts); PROTOCOL.md has an example of each.
 */
import type { JsonObject } from './json.js';
import type { CellKind, LayerMeasurement } from './measurement.js';

/** The protocol version this package writes. */
export const PROTOCOL_VERSION = 1;
/**
 * Versions this package reads. A bump means an old reader cannot make sense of
 * the new events (a removed, renamed or retyped field, a new event type);
 * additions of optional fields keep the version (see PROTOCOL.md "Versioning").
 */
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** Fields every event carries. */
export interface EventEnvelope {
  /** Protocol version of this event (PROTOCOL_VERSION when written by this package). */
  version: number;
  /** The run this event belongs to; a safe folder name (see run-id.ts). */
  runId: string;
  /** 0, 1, 2, … per run, in emission order, without gaps: the replay cursor. */
  seq: number;
  /** Global training step: the 0-based index of the optimizer update (batch) the event belongs to. */
  step: number;
  /** 0-based epoch; 0 for custom loops that have no epochs. */
  epoch: number;
  /** Wall clock, milliseconds since the Unix epoch. */
  time: number;
}

/** One recurrent cell as found in the model (before anything is measured). */
export interface RecurrentLayerSummary {
  /** Same name as LayerMeasurement.layer. */
  name: string;
  kind: CellKind;
  units: number;
  stateSize: number;
  /** Sequence length when the input shape fixes it, else null. */
  sequenceLength: number | null;
}

export interface ModelSummary {
  /** Every recurrent cell that will be measured. */
  layers: RecurrentLayerSummary[];
  /** Total parameter count of the model. */
  totalParams: number;
}

export interface RunStartEvent extends EventEnvelope {
  type: 'run-start';
  /** Human name of the run (free text; runId is the safe identifier). */
  name: string;
  model: ModelSummary;
  /** tfjs backend name, e.g. 'wasm', 'cpu', 'webgl'. */
  backend: string;
  /** The monitor's effective options as plain JSON (finite numbers only; tensors replaced by their shape). */
  options: JsonObject;
  /** Library versions, e.g. { "@gradscope/tfjs": "0.1.0", "@tensorflow/tfjs": "4.22.0" }. */
  versions: Record<string, string>;
}

export interface TrainStepEvent extends EventEnvelope {
  type: 'train-step';
  /** Batch loss; null when the training loop did not report it. */
  loss: number | null;
  /** Other batch metrics by name. */
  metrics: Record<string, number>;
  /** Global gradient norm (over all variables) before clipping; null when unknown. */
  gradNormBefore: number | null;
  /** Global gradient norm after clipping (equal to before when nothing was clipped); null when unknown. */
  gradNormAfter: number | null;
  learningRate: number | null;
  /**
   * The clipping threshold in force this step (withClipping's clipNorm,
   * globalClipNorm or clipValue, or AutoClip's moving percentile); absent
   * when the optimizer does not clip, and in runs recorded before it existed.
   */
  clipThreshold?: number;
}

export interface MeasurementEvent extends EventEnvelope {
  type: 'measurement';
  /** One record per measured recurrent cell. */
  layers: LayerMeasurement[];
  /** Wall time the measurement took (in the worker, when it measured there). */
  durationMs: number;
  /**
   * Where it was measured: 'worker' (a worker beside training, from a copy
   * of the weights taken at `step`, so the event arrives a few steps later)
   * or 'thread' (the training thread). Absent in runs recorded before it
   * existed.
   */
  measuredIn?: MeasuredIn;
}

export type MeasuredIn = 'worker' | 'thread';
export const MEASURED_IN: readonly MeasuredIn[] = ['worker', 'thread'];

export type ClipMode = 'clipNorm' | 'globalClipNorm' | 'clipValue' | 'autoClip';
export const CLIP_MODES: readonly ClipMode[] = ['clipNorm', 'globalClipNorm', 'clipValue', 'autoClip'];

/**
 * A clip that changed gradients. clipNorm and clipValue: one event per
 * affected tensor; globalClipNorm and autoClip: one event per step naming
 * every tensor.
 */
export interface ClipEvent extends EventEnvelope {
  type: 'clip';
  /** Variable names of the clipped gradients (at least one). */
  variables: string[];
  mode: ClipMode;
  /** The configured clipNorm, globalClipNorm or clipValue; for autoClip, this step's percentile of the norms seen so far. */
  threshold: number;
  /** Norm before clipping: of the tensor (clipNorm, clipValue) or global (globalClipNorm). */
  normBefore: number;
  /** threshold / normBefore, the factor the gradient was multiplied by; null for clipValue. */
  scale: number | null;
  /** Fraction of values that were clipped, for clipValue; null otherwise. */
  fractionClipped: number | null;
}

/** Alert kinds the monitor emits today. Readers must accept others (forward compatibility). */
export type KnownAlertKind =
  | 'grad-spike'
  | 'vanishing'
  | 'exploding'
  | 'lyapunov-crossing'
  | 'non-finite'
  | 'measurement-error'
  | 'dropped-events'
  | 'measured-on-thread'
  | 'worker-stalled';
export const KNOWN_ALERT_KINDS: readonly KnownAlertKind[] = [
  'grad-spike',
  'vanishing',
  'exploding',
  'lyapunov-crossing',
  'non-finite',
  'measurement-error',
  'dropped-events',
  'measured-on-thread',
  'worker-stalled',
];
/** `string & {}` keeps editor completion for the known kinds while accepting any kebab-case kind. */
export type AlertKind = KnownAlertKind | (string & {});

export type Severity = 'info' | 'warning' | 'error';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error'];

export interface AlertEvent extends EventEnvelope {
  type: 'alert';
  kind: AlertKind;
  severity: Severity;
  /** One line for humans. */
  message: string;
  /** The layer concerned, when there is one. */
  layer?: string;
  /** The value that triggered the alert, and the threshold it crossed. */
  value?: number;
  threshold?: number;
}

export type RunStatus = 'completed' | 'stopped' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['completed', 'stopped', 'failed'];

export interface RunTotals {
  /** Optimizer steps taken. */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Measurement events emitted. */
  measurements: number;
  clips: number;
  alerts: number;
  /** Wall time from run start to run end. */
  durationMs: number;
  /**
   * What the monitor cost training, as shares of training time: its own
   * time on the training thread (hooks, snapshots, measurements made
   * there; the budget's first account); the training thread's wait
   * for a core while the measurement worker measured, as charged (null
   * where it is not read: no worker started, a page, macOS, Windows); and
   * the excess of training steps while the worker measured over steps while
   * it rested, as charged (null when no worker started, or no measuring
   * step could be read against resting ones). The budget's second account
   * holds, per measurement, the larger of the last two.
   * Absent from callbacks before they were reported, and where no training
   * time was recorded (a custom loop whose step() calls gave none).
   */
  monitorShare?: number;
  waitShare?: number | null;
  slowdownShare?: number | null;
}

export interface RunEndEvent extends EventEnvelope {
  type: 'run-end';
  status: RunStatus;
  /** Why the run ended the way it did (e.g. 'stopOnNaN: loss is NaN'); null for a plain completion. */
  reason: string | null;
  totals: RunTotals;
}

export type GradscopeEvent = RunStartEvent | TrainStepEvent | MeasurementEvent | ClipEvent | AlertEvent | RunEndEvent;
export type EventType = GradscopeEvent['type'];
export const EVENT_TYPES: readonly EventType[] = ['run-start', 'train-step', 'measurement', 'clip', 'alert', 'run-end'];

/** The event of a given type: EventOf<'clip'> is ClipEvent. */
export type EventOf<T extends EventType> = Extract<GradscopeEvent, { type: T }>;

/** What a producer supplies: everything but the fields EventSequencer stamps. */
export type EventBody<E extends GradscopeEvent = GradscopeEvent> = E extends GradscopeEvent
  ? Omit<E, 'version' | 'runId' | 'seq' | 'time'> & { time?: number }
  : never;
