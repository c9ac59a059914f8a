import type * as tf from '@tensorflow/tfjs';
import type { AlertKind, RunStatus, Severity } from '@gradscope/protocol';
import { MeasureCache } from '../measure-cache.js';
import { measureModel } from '../measure-model.js';
import type { ClipReport } from '../with-clipping.js';
import { AlertDetector, type AlertDraft } from './alerts.js';
import { AskedStep } from './asked-step.js';
import { Cadence } from './cadence.js';
import { clipEvents } from './clip-events.js';
import { now } from './clock.js';
import { EventStream, type EventDraft } from './event-stream.js';
import { fitRunEnded, fitRunOpened, type FitRun } from './fit-runs.js';
import { tapGradients } from './gradient-tap.js';
import type { LiveAlert } from './live-sinks.js';
import { stopOnNaNReason } from './nan-policy.js';
import { measureOptionsOf, type ResolvedOptions } from './options.js';
import { platform } from '../platform/platform.js';
import { SILENT_CLOCK, type RunQueueClock } from '../platform/platform-interface.js';
import { exitReason, watchRunExit, type ExitingRun } from './run-exit.js';
import { RunQueueCharge } from './run-queue-charge.js';
import { SlowdownCharge, type WorkerState } from './slowdown-charge.js';
import { YieldCollections } from './yield-collections.js';
import { runStartEvent, type RunPlan } from './run-start.js';
import { openRunSinks } from './run-sinks.js';
import { trainStepEvent } from './train-step-event.js';
import { measureOnCopy } from './snapshot-copy.js';
import type { UnmeasuredSnapshot } from './lost-snapshots.js';
import { WorkerRoute, type WorkerRouteEvents } from './worker-route.js';
import type { WarnOnce } from './warn-once.js';
import { yieldToEventLoop, type PeriodicYield } from './yield-to-event-loop.js';

/**
 * One run: from its run-start event to its run-end. Everything that belongs
 * to a single run lives here and is new for each run — the event stream
 * and its sinks, the step and epoch counters, the measurement cadence, the
 * alert detector's history, the gradient tap on the optimizer, the
 * measurement warm-start cache — so a second fit() of the same monitor
 * starts from nothing. Nothing it does throws into training: a failure is
 * an alert and a console warning (one per monitor, warn-once.ts).
 */
export class RunSession implements FitRun, ExitingRun {
  readonly runId: string;
  /** Why stopOnNaN stopped training, or null. */
  private stopReason: string | null = null;
  private stream: EventStream | null = null;
  private stepIndex = 0;
  /** Whether the step being recorded has emitted its train-step event (stepIndex counts it only at the end of recordStep). */
  private stepEmitted = false;
  private epochIndex = 0;
  private epochsDone = 0;
  private readonly counts = { measurements: 0, clips: 0, alerts: 0 };
  private runStart = 0;
  private readonly cadence: Cadence;
  private readonly alerts: AlertDetector;
  private untap: () => void = () => {};
  private pendingReports: ClipReport[] = [];
  /** Warm starts between this run's measurements (the probe is fixed, so they carry over). */
  private readonly cache = new MeasureCache();
  /** Measuring in a worker (the worker option), or null: measurements run on this thread. */
  private route: WorkerRoute | null = null;
  /** The worker was given up on, maybe with snapshots in hand (often the first step's, held while it started): the thread
   * measures them at their steps (route.takeLost) at the next step or the run's end, or with none, that step's weights. */
  private owed = false;
  /** The worker was given up on and the thread has not measured since: its first measurement is the takeover (cadence.ts). */
  private takeover = false;
  /** Measures a snapshot the worker did not, on a copy of the model, at its step (snapshot-copy.ts). */
  private readonly measureSnapshot = (copy: tf.LayersModel, snapshot: UnmeasuredSnapshot) => this.measure(copy, { ...snapshot, cold: true });
  /** What a worker given up on had in hand (of steps before `before`), each at its step; with none (or no copy), `otherwise`. Settles `owed`. */
  private readonly measureLost = async (otherwise: () => Promise<void>, before = Infinity) => {
    this.owed = false;
    const lost = ((await this.route?.takeLost()) ?? []).filter((snapshot) => snapshot.step < before);
    await measureOnCopy(this.plan, lost, this.measureSnapshot, otherwise);
  };
  /** The training thread's wait for a core, on a clock opened at the end of open(), as the collections' watch (a run
   * that fails to open is never ended, and an open clock would never close). Only with a worker that started. */
  private runQueue: RunQueueClock = SILENT_CLOCK;
  /** The training thread's wait for a core while the worker measures, held to the budget on an account of its own (cadence.ts). */
  private readonly waitCharge = new RunQueueCharge(() => this.runQueue.waitMs());
  /** Training steps' excess while the worker measures over steps while it rests, on the same account as the wait (slowdown-charge.ts). */
  private readonly slowdown = new SlowdownCharge();
  private fitOver: (() => boolean) | null = null;
  /** end()'s work, once: the monitor and the run itself may both end it. */
  private ended: Promise<void> | null = null;
  /** Which step a measurement asked for by monitor.measure() belongs to. */
  private readonly askedStep: AskedStep;
  /** Collections of training's garbage that ran in the periodic yields: not the monitor's time. Watched from the end
   * of open() on: a run that fails to open is never ended, and a watch started before would never stop. */
  private yieldCollections = new YieldCollections(null);
  /** Stops the run's watch of the process's end (endAtExit), started at the end of open() for the same reason. */
  private unwatchExit: () => void = () => {};
  /** The stream between end()'s run-end and the close of its sinks: an exit then still writes what they hold. */
  private ending: EventStream | null = null;

  private constructor(
    private readonly plan: RunPlan,
    private readonly options: ResolvedOptions,
    private readonly pace: PeriodicYield,
    private readonly warnings: WarnOnce,
  ) {
    this.runId = plan.runId;
    this.cadence = new Cadence(options.every, options.budget);
    this.alerts = new AlertDetector(options.spikeFactor);
    this.askedStep = new AskedStep(plan.model);
  }

  /** Opens the run's sinks, starts observing the optimizer and emits run-start; throws when a sink cannot open (an
   * unwritable logdir). `fitOver`, for a fit()'s run: whether that fit() is over (see optimizerStepped). */
  static async open(plan: RunPlan, options: ResolvedOptions, pace: PeriodicYield, warnings: WarnOnce, fitOver?: () => boolean): Promise<RunSession> {
    const session = new RunSession(plan, options, pace, warnings);
    session.fitOver = fitOver ?? null;
    fitRunOpened(plan.model, fitOver ? session : null);
    const sinks = await openRunSinks(options, plan.runId, (alert) => session.alertFromSink(alert));
    session.stream = new EventStream(plan.runId, sinks);
    session.runStart = Date.now();
    session.untap = tapGradients(plan.model.optimizer, (report) => session.optimizerStepped(report), options.gradientNorms, (ms) => session.cadence.addMonitor(ms));
    session.emit(runStartEvent(plan, options));
    if (options.worker) session.route = await WorkerRoute.open(plan, options, session.workerEvents());
    session.yieldCollections = new YieldCollections(platform().watchGcPauses);
    if (session.route?.inWorker) session.runQueue = platform().openRunQueueClock();
    session.unwatchExit = watchRunExit(session);
    return session;
  }

  epochBegan(epoch: number): void {
    this.epochIndex = epoch;
  }

  epochEnded(): void {
    this.epochsDone++;
  }

  /** Training time (not the monitor's) that the measurement budget is a fraction of. */
  addTraining(ms: number): void {
    this.cadence.addTraining(ms);
    this.slowdown.step(ms);
  }

  /**
   * Records one training step: its train-step event, the clip events of the
   * optimizer steps since the last record, alerts, the stopOnNaN policy, a
   * measurement when the cadence says one is due, and now and then a yield
   * to the event loop. All of it is charged to the monitor's budget.
   */
  async recordStep(model: tf.LayersModel, logs: tf.Logs): Promise<void> {
    if (!this.stream) return;
    const started = now();
    this.waitCharge.collect();
    try {
      const reports = this.pendingReports.splice(0);
      const report = reports.at(-1) ?? null;
      const record = this.emit(trainStepEvent(logs, report));
      this.stepEmitted = true;
      for (const clip of reports.flatMap(clipEvents)) {
        this.emit(clip);
        this.counts.clips++;
      }
      const gradNorm = report?.globalNormBefore ?? null;
      this.emitAlerts(this.alerts.onTrainStep(record.loss, gradNorm));
      if (this.options.stopOnNaN && model) {
        const reason = stopOnNaNReason(record.loss, gradNorm, this.stepIndex);
        if (reason) {
          this.stopReason = reason;
          model.stopTraining = true;
        }
      }
      this.route?.take();
      // With a worker, a due step is measured only when the worker is free: the newest snapshot, never a queue;
      // and not while the worker is to rest: nothing is posted until it has caught up and a step has run beside it
      // idle, for the baseline its cost is read against (slowdown-charge.ts; with no budget to hold, no rests).
      let measuredHere = false;
      const rest = !this.owed && this.options.budget !== Infinity && (this.route?.warm ?? false) && this.slowdown.restWanted;
      if ((this.owed || this.cadence.isDue(this.stepIndex)) && (this.route?.free ?? true) && !rest) {
        const t0 = now();
        const sent = this.route?.inWorker && (await this.route.snapshot(this.stepIndex, this.epochIndex, this.alerts.recentGradNorms()));
        if (!sent) {
          await this.measureLost(() => this.measure(model));
          measuredHere = true;
        }
        // The thread's takeover from a worker given up on: a one-time cost, waived as the baseline's is (cadence.ts).
        this.cadence.measured(this.stepIndex, now() - t0, { once: measuredHere && this.takeover });
        if (measuredHere) this.takeover = false;
      }
      // Right after a measurement on this thread, a collection in the yield is mostly the measurement's garbage: charged.
      const yieldStart = now();
      if ((await this.pace.maybeYield()) && !measuredHere) this.yieldCollections.yielded(yieldStart, now());
    } catch (err) {
      this.reportFailure('recording the training step', err);
    } finally {
      this.cadence.addMonitor(now() - started);
      this.cadence.refund(this.yieldCollections.take());
      this.markWorker();
      this.askedStep.recorded();
      this.stepIndex++;
      this.stepEmitted = false;
    }
  }

  /** Measures every recurrent layer now: at `step` when given (it then counts on from there), else at the step whose update the weights hold (asked-step.ts). */
  async measureNow(model: tf.LayersModel, step?: number): Promise<void> {
    // The wait since the last step belongs to the worker's measurement about to land (this one, asked for, is not
    // charged); that measurement lands first, so measurement events stay in step order.
    this.waitCharge.collect();
    await this.route?.settle();
    if (step !== undefined) this.stepIndex = step;
    const at = step !== undefined ? { step, unrecorded: true } : this.askedStep.now(this.stepIndex);
    // A worker found dead meanwhile: what it had in hand first, in step order; this measurement stands for its own step.
    if (this.owed) await this.measureLost(async () => {}, at.step);
    await this.measure(model, { step: at.step });
    if (at.unrecorded) this.cadence.covered(at.step);
    // Called between a custom loop's training and its step() (or from an earlier callback's onBatchEnd), the
    // step to be reported ran as the mark before said: 'other' files it nowhere rather than as resting.
    this.markWorker('other');
  }

  /** What the worker does over the coming training step, for the two charges of its cost; `state` overrides the slowdown's. */
  private markWorker(state?: WorkerState): void {
    const measuring = this.route?.measuringWarm ?? false;
    this.waitCharge.mark(measuring);
    this.slowdown.mark(state ?? (measuring ? 'measuring' : this.route?.resting ? 'resting' : 'other'));
  }

  /** Stops observing the optimizer, emits run-end, then flushes and closes every sink. `otherReason` says why training ended when it was not stopOnNaN; `failed`: its fit() threw. */
  async end(otherReason: string | null, failed = false): Promise<void> {
    this.ended ??= this.finish(otherReason, failed);
    return this.ended;
  }

  /** Whether end() was called (by the monitor, or by the run itself when its fit() was found over). */
  get closed(): boolean {
    return this.ended !== null;
  }

  /** Each optimizer update: its report, for the step's record — or, when this run's fit() is over (it threw; tfjs calls
   * no callback then) and training went on without it, the run's end, which frees its tap, worker and reports. */
  private optimizerStepped(report: ClipReport): void {
    if (this.fitIsOver) this.endStale();
    else this.pendingReports.push(report);
  }

  get fitIsOver(): boolean {
    return this.fitOver?.() ?? false;
  }

  endStale(): void {
    this.fitOver = null;
    this.untap();
    this.untap = () => {};
    this.end('its fit() did not finish (it threw); training went on without it', true).catch((err) => this.reportFailure('ending the run', err));
  }

  private async finish(otherReason: string | null, failed: boolean): Promise<void> {
    fitRunEnded(this.plan.model, this);
    if (!this.stream) return;
    let unmeasured: UnmeasuredSnapshot[] = [];
    try {
      unmeasured = (await this.route?.end()) ?? [];
    } catch (err) {
      this.reportFailure('ending the measurement worker', err);
    }
    this.route = null;
    // What the worker did not measure (it never started, lost its core, or was given up on); with no copy, the final weights.
    const last = () => this.measure(this.plan.model, { step: Math.max(0, this.stepIndex - 1) });
    if (unmeasured.length > 0 || this.owed) await measureOnCopy(this.plan, unmeasured, this.measureSnapshot, last);
    const stream = this.stream;
    this.stream = null;
    this.yieldCollections.close();
    this.runQueue.close();
    this.untap();
    this.untap = () => {};
    this.pendingReports = [];
    this.cache.dispose();
    this.ending = stream;
    stream.emit(this.runEnd(failed ? 'failed' : 'completed', otherReason), Math.max(0, this.stepsRecorded - 1), this.epochIndex);
    await stream.flush();
    await stream.close();
    this.ending = null;
    // Watched to the last: an exit while the worker ends or the sinks flush still writes the run's end.
    this.unwatchExit();
  }

  /**
   * The process is exiting with the run still open (its fit() threw, a
   * custom loop never called close(), process.exit() from a callback, or
   * `signal`, a Ctrl-C the program does not handle):
   * run-end says so, and every sink that can writes what it holds,
   * synchronously — nothing asynchronous runs after a process's 'exit'. A
   * measurement the worker had in hand is lost with the worker. Exiting
   * while end() closes the sinks: they write what they hold. For the exit
   * watch (run-exit.ts) only.
   */
  endAtExit(code: number | null, uncaught: Error | null, signal?: string): void {
    const stream = this.stream;
    if (!stream) {
      this.ending?.closeAtExit();
      return;
    }
    this.stream = null;
    stream.emit(this.runEnd('failed', exitReason(code, uncaught, signal)), Math.max(0, this.stepsRecorded - 1), this.epochIndex);
    stream.closeAtExit();
  }

  /** For the exit watch (run-exit.ts) only. The process may be ending (an uncaught error, a signal the program handles): the sinks write what they hold. */
  flushNow(): void {
    (this.stream ?? this.ending)?.flushNow();
  }

  /** Steps whose train-step event was emitted: an exit inside recordStep (process.exit from a loss, a callback) comes after its event. */
  private get stepsRecorded(): number {
    return this.stepIndex + (this.stepEmitted ? 1 : 0);
  }

  /** The run-end event; stopOnNaN's stop outranks any other ending (its reason is why training stopped). */
  private runEnd(status: RunStatus, reason: string | null): EventDraft {
    if (this.stopReason) [status, reason] = ['stopped', this.stopReason];
    // What the budget's two accounts hold (cadence.ts).
    const cost = this.cadence.shares(this.runQueue !== SILENT_CLOCK, this.slowdown.everRead);
    return { type: 'run-end', status, reason, totals: { steps: this.stepsRecorded, epochs: this.epochsDone, ...this.counts, durationMs: Date.now() - this.runStart, ...cost } };
  }

  /** Measures `model` on this thread (warm-started from the run's cache unless `at.cold`); the event belongs to `at.step` (default: the current step). */
  private async measure(model: tf.LayersModel, at: { step?: number; epoch?: number; gradNormHistory?: readonly number[]; cold?: boolean } = {}): Promise<void> {
    if (!this.stream) return;
    const step = at.step ?? this.stepIndex;
    const epoch = at.epoch ?? this.epochIndex;
    const t0 = now();
    try {
      const layers = await measureModel(model, this.plan.probe, {
        ...measureOptionsOf(this.options),
        ...(at.cold ? {} : { cache: this.cache }),
        gradNormHistory: at.gradNormHistory ?? this.alerts.recentGradNorms(),
        pause: yieldToEventLoop,
      });
      this.emit({ type: 'measurement', layers, durationMs: now() - t0, measuredIn: 'thread' }, step, epoch);
      this.counts.measurements++;
      this.emitAlerts(this.alerts.onMeasurement(layers, step), step, epoch);
    } catch (err) {
      this.reportFailure('measuring the recurrent layers', err);
    }
  }

  /** The worker's replies as this run's events: a measurement at its snapshot's step, a failure, the one fallback notice. */
  private workerEvents(): WorkerRouteEvents {
    return {
      measured: (reply) => {
        // What the worker cost training, up to its own time for the measurement (run-queue-charge.ts,
        // slowdown-charge.ts); where its CPU time is unknown (a page), the step excess is capped by its wall time.
        this.cadence.addWorkerCost(this.waitCharge.settle(reply.cpuMs ?? 0), this.slowdown.settle(reply.cpuMs ?? reply.durationMs));
        this.emit({ type: 'measurement', layers: reply.layers, durationMs: reply.durationMs, measuredIn: 'worker' }, reply.step, reply.epoch);
        this.counts.measurements++;
        this.emitAlerts(this.alerts.onMeasurement(reply.layers, reply.step), reply.step, reply.epoch);
      },
      failed: (message, where) => this.reportFailure('measuring the recurrent layers', new Error(message), where),
      fellBack: (message, lostSnapshot) => {
        this.warned('measured-on-thread', message);
        this.takeover = true;
        if (lostSnapshot) this.owed = true;
      },
      stalled: (message) => this.warned('worker-stalled', message),
    };
  }

  // ---- events -------------------------------------------------------------------

  private emit<D extends EventDraft>(body: D, step = this.stepIndex, epoch = this.epochIndex): D {
    this.stream!.emit(body, step, epoch);
    return body;
  }

  private emitAlerts(drafts: AlertDraft[], step = this.stepIndex, epoch = this.epochIndex): void {
    for (const a of drafts) {
      this.emit({ type: 'alert', ...a }, step, epoch);
      this.counts.alerts++;
    }
  }

  /** An alert a live sink asks for (events it could not deliver); false once the run has ended, so the sink warns instead. */
  private alertFromSink(alert: LiveAlert): boolean {
    if (this.stream) this.emitAlerts([alert]);
    return this.stream !== null;
  }

  /** An alert the console hears of once per monitor (`text`: without per-occurrence details such as a failure's `where`; warn-once.ts). */
  private warned(kind: AlertKind, message: string, severity: Severity = 'warning', text = message): void {
    this.warnings.warn(text);
    this.emitAlerts([{ kind, severity, message }]);
  }

  private reportFailure(what: string, err: unknown, where?: string): void {
    const message = `${what} failed: ${(err as Error)?.message ?? String(err)}`;
    try {
      this.warned('measurement-error', where ? `${message} (${where})` : message, 'error', `${message} (training continues)`);
    } catch {
      // The stream itself failed; the warning (given first) is all we can do.
    }
  }
}
