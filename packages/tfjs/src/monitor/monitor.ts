import * as tf from '@tensorflow/tfjs';
import { makeRunId, type ClipEvent, type JsonObject } from '@gradscope/protocol';
import { MeasureCache } from '../measure-cache.js';
import { measureModel } from '../measure-model.js';
import { checkProbe, type Probe } from '../probe.js';
import { selectRecurrentLayers } from '../recurrent-layers.js';
import { stopTrainingRequested } from '../tfjs-internals.js';
import { VERSION } from '../version.js';
import type { ClipReport } from '../with-clipping.js';
import { AlertDetector, type AlertDraft } from './alerts.js';
import { Cadence } from './cadence.js';
import { ConsoleSink } from './console-sink.js';
import { EventStream } from './event-stream.js';
import { tapGradients } from './gradient-tap.js';
import { openLiveSinks } from './live-sinks.js';
import { platform } from '../platform/platform.js';
import { modelSummary } from './model-summary.js';
import { resolveOptions, type GradscopeOptions, type ResolvedOptions } from './options.js';
import type { EventSink } from './sinks.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const scalarOf = (v: unknown): number | null => {
  if (typeof v === 'number') return v;
  if (v instanceof tf.Tensor && !v.isDisposed) return v.dataSync()[0] ?? null;
  return null;
};
/**
 * How often the monitor lets the event loop run. A custom loop of
 * `await trainOnBatch()` only ever yields microtasks, so without this a
 * websocket publisher would not even connect until training ended.
 */
const YIELD_EVERY_MS = 50;

/** Samples of the first batch that tap() keeps as the probe. */
const TAP_SAMPLES = 8;

/**
 * The training callback. In model.fit / fitDataset it hooks every batch;
 * in a custom loop call `await monitor.step(model, { loss })` after each
 * trainOnBatch, and `await monitor.close()` at the end.
 *
 * Each step it records loss, metrics and the gradient norms (before/after
 * clipping); every `every` steps, within the `budget`, it measures every
 * recurrent layer on the probe. Nothing it does can stop training, except
 * `stopOnNaN` when asked: a failure becomes an alert event and one warning.
 */
export class GradscopeMonitor extends tf.Callback {
  readonly options: ResolvedOptions;
  /** The current (or last) run's id, once a run has started. */
  runId: string | null = null;
  private probe: Probe | null;
  private ownedProbe: tf.Tensor[] = [];
  private stream: EventStream | null = null;
  private cadence: Cadence;
  private alerts: AlertDetector;
  private attached: any = null;
  private untap: () => void = () => {};
  private pendingReports: ClipReport[] = [];
  private stepIndex = 0;
  private epochIndex = 0;
  private epochsDone = 0;
  private batchStart: number | null = null;
  private runStart = 0;
  private counts = { measurements: 0, clips: 0, alerts: 0 };
  private stopReason: string | null = null;
  private runNumber = 0;
  /** tap() was called: the probe arrives with the first batch, so the run starts there. */
  private tapped = false;
  /** When the last step() returned: custom loops train between two calls. */
  private lastStepEnd: number | null = null;
  private lastYield = 0;
  /** Warm starts between this run's measurements (the probe is fixed, so they carry over). */
  private cache = new MeasureCache();

  constructor(options: GradscopeOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.probe = this.options.probe;
    this.cadence = new Cadence(this.options.every, this.options.budget);
    this.alerts = new AlertDetector(this.options.spikeFactor);
  }

  // ---- tf.Callback hooks (fit, fitDataset) --------------------------------

  override async onTrainBegin(): Promise<void> {
    // With tap(), the first batch (the probe) is drawn after this hook.
    if (!this.probe && this.tapped) return;
    await this.start(this.model);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epochIndex = epoch;
  }

  override async onBatchBegin(): Promise<void> {
    this.batchStart = now();
  }

  override async onBatchEnd(_batch: number, logs?: tf.Logs): Promise<void> {
    if (this.batchStart !== null) this.cadence.addTraining(now() - this.batchStart);
    this.batchStart = null;
    if (!this.stream && this.tapped) await this.start(this.model);
    await this.record(this.model, logs ?? {});
  }

  override async onEpochEnd(): Promise<void> {
    this.epochsDone++;
  }

  override async onTrainEnd(): Promise<void> {
    const stopped = stopTrainingRequested(this.model as tf.LayersModel | null);
    await this.end(this.stopReason ? 'stopped' : 'completed', this.stopReason ?? (stopped ? 'stopped by a callback' : null));
  }

  // ---- custom loops ---------------------------------------------------------

  /**
   * Records one training step of a custom loop (call after trainOnBatch or
   * optimizer.minimize). Starts the run on the first call. `trainingMs`, the
   * step's own duration, feeds the budget; without it the time since the
   * previous step() returned is used.
   */
  async step(model: tf.LayersModel, logs: { loss?: number | tf.Scalar; [metric: string]: unknown } = {}, trainingMs?: number): Promise<void> {
    if (!this.stream) await this.start(model);
    // Without an explicit figure, the time since the previous step() is training time.
    const trained = trainingMs ?? (this.lastStepEnd !== null ? now() - this.lastStepEnd : 0);
    this.cadence.addTraining(trained);
    await this.record(model, logs as tf.Logs);
    this.lastStepEnd = now();
  }

  /** Measures every recurrent layer now, whatever the cadence says. */
  async measure(model: tf.LayersModel = this.attached, step?: number): Promise<void> {
    if (!this.stream) await this.start(model);
    if (step !== undefined) this.stepIndex = step;
    await this.runMeasurement(model);
  }

  /**
   * For fitDataset: returns the dataset with a tap that keeps the first
   * batch's first 8 samples as the probe (when no probe was given).
   */
  tap<T extends tf.TensorContainer>(dataset: tf.data.Dataset<T>): tf.data.Dataset<T> {
    this.tapped = true;
    return dataset.map((batch: T) => {
      if (!this.probe) this.probe = this.captureProbe(batch);
      return batch;
    });
  }

  /** Ends the current run (if any) and flushes and closes every sink. */
  async close(): Promise<void> {
    await this.end(this.stopReason ? 'stopped' : 'completed', this.stopReason);
    this.releaseProbe();
  }

  // ---- internals --------------------------------------------------------------

  private captureProbe(batch: unknown): Probe | null {
    const pick = (x: unknown): tf.Tensor | tf.Tensor[] | null => {
      if (x instanceof tf.Tensor) {
        const kept = tf.keep(x.slice(0, Math.min(TAP_SAMPLES, x.shape[0] ?? TAP_SAMPLES)));
        this.ownedProbe.push(kept);
        return kept;
      }
      if (Array.isArray(x) && x.every((t) => t instanceof tf.Tensor)) return x.map((t) => pick(t) as tf.Tensor);
      if (x && typeof x === 'object') {
        const values = Object.values(x);
        if (values.length && values.every((t) => t instanceof tf.Tensor)) return values.map((t) => pick(t) as tf.Tensor);
      }
      return null;
    };
    const b = batch as { xs?: unknown; ys?: unknown } | unknown[];
    const xs = Array.isArray(b) ? pick(b[0]) : pick((b as { xs?: unknown }).xs);
    const ys = Array.isArray(b) ? pick(b[1]) : pick((b as { ys?: unknown }).ys);
    if (!xs) return null;
    return ys ? { xs, ys } : { xs };
  }

  private releaseProbe(): void {
    tf.dispose(this.ownedProbe);
    this.ownedProbe = [];
    if (this.options.probe === null) this.probe = null;
  }

  private async start(model: any): Promise<void> {
    if (this.stream) return;
    if (!model) throw new Error('gradscope: no model to monitor (the callback was not given one by fit, and step()/measure() got none)');
    if (!this.probe) {
      throw new Error(
        "gradscope: option 'probe' is missing: pass gradscope({ probe: { xs, ys } }) with a few input sequences (and their targets), " +
          'or, for fitDataset, wrap the dataset with monitor.tap(dataset) so the first batch becomes the probe',
      );
    }
    checkProbe(model, this.probe);
    const targets = selectRecurrentLayers(model, this.options.layers ?? undefined);
    if (targets.length === 0) {
      throw new Error('gradscope: the model has no recurrent layer (SimpleRNN, LSTM, GRU, RNN or Bidirectional) to monitor');
    }
    this.attached = model;
    this.runNumber++;
    const xs0 = Array.isArray(this.probe.xs) ? this.probe.xs[0]! : this.probe.xs;
    const name = this.options.runName ?? `${model.name ?? 'model'}-${targets[0]!.cells[0]!.kind}`;
    const runName = this.runNumber > 1 ? `${name}-${this.runNumber}` : name;
    this.runId = makeRunId(runName);
    const sinks: EventSink[] = [];
    const logdir = this.options.logdir !== false ? await platform().openLogdirSink(this.options.logdir, this.runId) : null;
    if (logdir) sinks.push(logdir);
    sinks.push(...(await openLiveSinks(this.options, this.runId, (alert) => (this.stream ? (this.emitAlerts([alert]), true) : false), logdir)));
    if (this.options.console) sinks.push(new ConsoleSink());
    this.stream = new EventStream(this.runId, sinks);
    this.stepIndex = 0;
    this.epochIndex = 0;
    this.epochsDone = 0;
    this.counts = { measurements: 0, clips: 0, alerts: 0 };
    this.stopReason = null;
    this.runStart = Date.now();
    this.cadence = new Cadence(this.options.every, this.options.budget);
    this.alerts = new AlertDetector(this.options.spikeFactor);
    this.untap = tapGradients(model.optimizer, (report) => this.pendingReports.push(report), this.options.gradientNorms);
    this.stream.emit(
      {
        type: 'run-start',
        name: runName,
        model: modelSummary(model, targets, xs0.rank >= 2 ? xs0.shape[1]! : null),
        backend: tf.getBackend(),
        options: this.describeOptions(),
        versions: { '@gradscope/tfjs': VERSION, '@tensorflow/tfjs': tf.version.tfjs },
      },
      0,
      0,
    );
  }

  /** The effective options as plain JSON: tensors become shapes, the token is never written. */
  private describeOptions(): JsonObject {
    const shapes = (t: tf.Tensor | tf.Tensor[] | undefined) => (t === undefined ? null : (Array.isArray(t) ? t : [t]).map((x) => x.shape));
    const { probe, token, ...rest } = this.options;
    return JSON.parse(
      JSON.stringify({ ...rest, token: token ? '(set)' : null, probe: this.probe ? { xs: shapes(this.probe.xs), ys: shapes(this.probe.ys) } : null, probeSource: probe ? 'option' : 'tap' }),
    ) as JsonObject;
  }

  private emitAlerts(drafts: AlertDraft[]): void {
    for (const a of drafts) {
      this.stream!.emit({ type: 'alert', ...a }, this.stepIndex, this.epochIndex);
      this.counts.alerts++;
    }
  }

  private emitClips(report: ClipReport): void {
    if (!report.mode || report.clipped.length === 0) return;
    const base = { type: 'clip' as const, mode: report.mode, threshold: report.threshold! };
    const bodies: Omit<ClipEvent, 'version' | 'runId' | 'seq' | 'time' | 'step' | 'epoch'>[] =
      report.mode === 'globalClipNorm' || report.mode === 'autoClip'
        ? [{ ...base, variables: report.clipped.map((c) => c.variable), normBefore: report.globalNormBefore, scale: report.clipped[0]!.factor, fractionClipped: null }]
        : report.clipped.map((c) => ({
            ...base,
            variables: [c.variable],
            normBefore: c.normBefore,
            scale: report.mode === 'clipValue' ? null : c.factor,
            fractionClipped: report.mode === 'clipValue' ? c.factor : null,
          }));
    for (const body of bodies) {
      this.stream!.emit(body, this.stepIndex, this.epochIndex);
      this.counts.clips++;
    }
  }

  private async record(model: any, logs: tf.Logs): Promise<void> {
    if (!this.stream) return;
    const started = now();
    let measuredMs = 0;
    try {
      const loss = scalarOf(logs.loss);
      const metrics: Record<string, number> = {};
      for (const [key, value] of Object.entries(logs)) {
        if (key === 'loss' || key === 'batch' || key === 'size') continue;
        const v = scalarOf(value);
        if (v !== null) metrics[key] = v;
      }
      const reports = this.pendingReports.splice(0);
      const report = reports.at(-1) ?? null;
      this.stream.emit(
        {
          type: 'train-step',
          loss,
          metrics,
          gradNormBefore: report?.globalNormBefore ?? null,
          gradNormAfter: report?.globalNormAfter ?? null,
          learningRate: report?.learningRate ?? null,
          ...(report?.threshold != null ? { clipThreshold: report.threshold } : {}),
        },
        this.stepIndex,
        this.epochIndex,
      );
      reports.forEach((r) => this.emitClips(r));
      this.emitAlerts(this.alerts.onTrainStep(loss, report?.globalNormBefore ?? null));
      const nonFinite = (loss !== null && !Number.isFinite(loss)) || (report !== null && !Number.isFinite(report.globalNormBefore));
      if (nonFinite && this.options.stopOnNaN && model) {
        this.stopReason = `stopOnNaN: ${loss !== null && !Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${report!.globalNormBefore}`} at step ${this.stepIndex}`;
        model.stopTraining = true;
      }
      if (this.cadence.isDue(this.stepIndex)) {
        const t0 = now();
        await this.runMeasurement(model);
        measuredMs = now() - t0;
        this.cadence.measured(this.stepIndex, measuredMs);
      }
      if (now() - this.lastYield >= YIELD_EVERY_MS) {
        this.lastYield = now();
        await yieldToEventLoop(); // let sockets connect, send and receive acks
      }
    } catch (err) {
      this.reportFailure('recording the training step', err);
    } finally {
      this.cadence.addMonitor(now() - started);
      this.stepIndex++;
    }
  }

  private async runMeasurement(model: any): Promise<void> {
    if (!this.stream || !this.probe) return;
    const t0 = now();
    try {
      const layers = await measureModel(model, this.probe, {
        ...(this.options.layers ? { layers: this.options.layers } : {}),
        ...(this.options.k !== null ? { k: this.options.k } : {}),
        cache: this.cache,
        gradNormHistory: this.alerts.recentGradNorms(),
        pause: yieldToEventLoop,
      });
      this.stream.emit({ type: 'measurement', layers, durationMs: now() - t0 }, this.stepIndex, this.epochIndex);
      this.counts.measurements++;
      this.emitAlerts(this.alerts.onMeasurement(layers));
    } catch (err) {
      this.reportFailure('measuring the recurrent layers', err);
    }
  }

  private reportFailure(what: string, err: unknown): void {
    const message = `${what} failed: ${(err as Error)?.message ?? String(err)}`;
    console.warn(`gradscope: ${message} (training continues)`);
    try {
      this.emitAlerts([{ kind: 'measurement-error', severity: 'error', message }]);
    } catch {
      // The stream itself failed; the warning above is all we can do.
    }
  }

  private async end(status: 'completed' | 'stopped' | 'failed', reason: string | null): Promise<void> {
    if (!this.stream) return;
    const stream = this.stream;
    this.stream = null;
    this.untap();
    this.untap = () => {};
    this.pendingReports = [];
    this.cache.dispose();
    stream.emit(
      {
        type: 'run-end',
        status,
        reason,
        totals: { steps: this.stepIndex, epochs: this.epochsDone, ...this.counts, durationMs: Date.now() - this.runStart },
      },
      Math.max(0, this.stepIndex - 1),
      this.epochIndex,
    );
    await stream.flush();
    await stream.close();
  }
}

/**
 * The gradscope training callback:
 *
 *   await model.fit(xs, ys, { callbacks: [gradscope({ probe: { xs: xs.slice(0, 8), ys: ys.slice(0, 8) } })] });
 */
export function gradscope(options: GradscopeOptions = {}): GradscopeMonitor {
  return new GradscopeMonitor(options);
}
