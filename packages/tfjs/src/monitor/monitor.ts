import * as tf from '@tensorflow/tfjs';
import { stopTrainingRequested } from '../tfjs-internals.js';
import { now } from './clock.js';
import { resolveOptions, type GradscopeOptions, type ResolvedOptions } from './options.js';
import { ProbeTap } from './probe-tap.js';
import { planRun } from './run-start.js';
import { RunSession } from './run-session.js';
import { readLogs } from './train-step-event.js';
import { WarnOnce } from './warn-once.js';
import { PeriodicYield } from './yield-to-event-loop.js';

/**
 * The training callback. In model.fit / fitDataset it hooks every batch;
 * in a custom loop call `await monitor.step(model, { loss })` after each
 * trainOnBatch, and `await monitor.close()` at the end.
 *
 * Each step it records loss, metrics and the gradient norms (before/after
 * clipping); every `every` steps, within the `budget`, it measures every
 * recurrent layer on the probe. Nothing it does can stop training, except
 * `stopOnNaN` when asked: a failure becomes an alert event and one warning.
 *
 * This class only routes tfjs's hooks and the custom-loop calls to the
 * current run (RunSession, one per fit or per custom loop until close());
 * what outlives a run is here: the options, the probe, the run count and
 * the pace of event-loop yields.
 */
export class GradscopeMonitor extends tf.Callback {
  readonly options: ResolvedOptions;
  /** The current (or last) run's id, once a run has started. */
  runId: string | null = null;
  private readonly probes: ProbeTap;
  private session: RunSession | null = null;
  /** The last run's model: measure() with no model measures it. */
  private attached: tf.LayersModel | null = null;
  private runNumber = 0;
  private batchStart: number | null = null;
  /** When the last step() returned: custom loops train between two calls. */
  private lastStepEnd: number | null = null;
  private readonly pace = new PeriodicYield();
  /** Warnings this monitor gives once, whatever the number of its runs. */
  private readonly warnings = new WarnOnce();
  /** Between a fit()'s onTrainBegin and its onTrainEnd: still true at the next onTrainBegin when that fit() threw. */
  private fitting = false;
  /** Whether the current fit() is over, asked by its run at each optimizer update. */
  private fitOver: () => boolean = () => false;

  constructor(options: GradscopeOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.probes = new ProbeTap(this.options.probe);
  }

  // ---- tf.Callback hooks (fit, fitDataset) --------------------------------

  override async onTrainBegin(): Promise<void> {
    // tfjs calls no hook when fit() throws: the run it left open ends here, failed, and this fit() starts its own.
    if (this.fitting) await this.end('its fit() did not finish (it threw); the next fit() started a new run', true);
    this.fitting = true;
    // fit() and fitDataset() set model.history before this hook and isTraining until they return, thrown or not:
    // another history, or no training, and this fit() is over (RunSession.optimizerStepped).
    const model = this.model as tf.LayersModel;
    const history = model.history;
    this.fitOver = () => model.history !== history || (model as unknown as { isTraining?: boolean }).isTraining !== true;
    // With tap(), the first batch (the probe) is drawn after this hook.
    if (!this.probes.probe && this.probes.tapped) return;
    await this.start(this.model);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.session?.epochBegan(epoch);
  }

  override async onBatchBegin(): Promise<void> {
    this.batchStart = now();
  }

  override async onBatchEnd(_batch: number, logs?: tf.Logs): Promise<void> {
    // The logs first: reading the loss waits for the step's device work, which is training's time (readLogs).
    const values = await readLogs(logs ?? {});
    if (this.batchStart !== null) this.session?.addTraining(now() - this.batchStart);
    this.batchStart = null;
    if (!this.session && this.probes.tapped) await this.start(this.model);
    await this.session?.recordStep(this.model, values);
  }

  override async onEpochEnd(): Promise<void> {
    this.session?.epochEnded();
  }

  override async onTrainEnd(): Promise<void> {
    this.fitting = false;
    const stopped = stopTrainingRequested(this.model as tf.LayersModel | null);
    await this.end(stopped ? 'stopped by a callback' : null);
  }

  // ---- custom loops ---------------------------------------------------------

  /**
   * Records one training step of a custom loop (call after trainOnBatch or
   * optimizer.minimize). Starts the run on the first call. `trainingMs`, the
   * step's own duration, feeds the budget; without it the time since the
   * previous step() returned is used.
   */
  async step(model: tf.LayersModel, logs: { loss?: number | tf.Scalar; [metric: string]: unknown } = {}, trainingMs?: number): Promise<void> {
    const session = await this.start(model);
    const values = await readLogs((logs ?? {}) as tf.Logs); // before the clock, as in onBatchEnd
    // Without an explicit figure, the time since the previous step() is training time.
    session.addTraining(trainingMs ?? (this.lastStepEnd !== null ? now() - this.lastStepEnd : 0));
    await session.recordStep(model, values);
    this.lastStepEnd = now();
  }

  /** Measures every recurrent layer now, whatever the cadence says. */
  async measure(model: tf.LayersModel = this.attached!, step?: number): Promise<void> {
    const session = await this.start(model);
    await session.measureNow(model, step);
  }

  /**
   * For fitDataset: returns the dataset with a tap that keeps the first
   * batch's first 8 samples as the probe (when no probe was given).
   */
  tap<T extends tf.TensorContainer>(dataset: tf.data.Dataset<T>): tf.data.Dataset<T> {
    return this.probes.tap(dataset);
  }

  /** Ends the current run (if any) and flushes and closes every sink. */
  async close(): Promise<void> {
    // After a fit() that threw (in a `finally`, say), the run it left open ends as what it is.
    const threw = this.fitting;
    this.fitting = false;
    await this.end(threw ? 'its fit() did not finish (it threw); monitor.close() ended the run' : null, threw);
    this.probes.release();
  }

  // ---- runs -------------------------------------------------------------------

  /** The current run, started on `model` if there is none (throws before any step when the run cannot start). */
  private async start(model: tf.LayersModel | null | undefined): Promise<RunSession> {
    // A run that ended itself (its fit() threw and training went on without it) is not this call's; nor is a
    // fit() that is over (it threw, perhaps before its run started) one a run started now belongs to.
    if (this.session?.closed) this.session = null;
    if (this.fitting && this.fitOver()) this.fitting = false;
    if (this.session) return this.session;
    const plan = planRun(model, this.probes.probe, this.options, this.runNumber + 1);
    this.attached = plan.model;
    this.runNumber++;
    this.runId = plan.runId;
    this.session = await RunSession.open(plan, this.options, this.pace, this.warnings, this.fitting ? this.fitOver : undefined);
    return this.session;
  }

  private async end(otherReason: string | null, failed = false): Promise<void> {
    const session = this.session;
    this.session = null;
    await session?.end(otherReason, failed);
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
