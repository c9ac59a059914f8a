import type { FailedReply, MeasuredReply } from '../measure-worker/messages.js';
import { platform } from '../platform/platform.js';
import { measureOptionsOf, type ResolvedOptions } from './options.js';
import type { RunPlan } from './run-start.js';
import type { UnmeasuredSnapshot } from './lost-snapshots.js';
import { WorkerMeasurer } from './worker-measurer.js';

/** Why a worker cannot measure this model, from its failure reply (the first line: tfjs appends a list of generic reasons). */
function failure(phase: FailedReply['phase'], message: string): string {
  const first = message.split('\n')[0]!.replace(/\. This may be due to.*$/, '');
  if (phase === 'rebuild') return `the worker could not rebuild the model (${first})`;
  if (phase === 'weights') return `the worker could not take the weights (${first})`;
  return first;
}

/**
 * Models a worker could not rebuild because its tfjs lacks one of their
 * classes (tfjs's "Unknown layer: …"; the usual case a class the program
 * registered before loading gradscope), and why: a model's layers do not change, so its later runs (fit() after
 * fit()) measure on the thread from the start for the same reason, instead
 * of starting a worker that will refuse again. Found by review: each of
 * three fits of 40 steps started one, about a second of a core each, and
 * made 1 measurement where the thread alone made 2.
 */
const REFUSED = new WeakMap<object, string>();

/**
 * How long a worker with a snapshot in hand may answer nothing before the
 * run says it has stalled (at least; ten times its usual measurement when
 * that is longer). Why: at the lowest priority, a worker on a busy machine
 * can get no CPU for minutes, and without a word the user sees only
 * measurements that stopped coming.
 */
export const STALL_NOTICE_MS = 30_000;

/** What the run does with the worker's replies. */
export interface WorkerRouteEvents {
  /** The worker measured the snapshot of reply.step. */
  measured(reply: MeasuredReply): void;
  /** One measurement failed in the worker, as it could have on the thread; `where`: which snapshot, for the alert (the console hears the failure once). */
  failed(message: string, where: string): void;
  /**
   * The worker is given up on (`message` says why, once per run, for the
   * run's alert and for the console, which hears the same message once per
   * monitor); from now on the thread measures.
   * `lostSnapshot`: it may have had snapshots it never measured, which
   * takeLost() hands over (none: the next step is measured in their place).
   */
  fellBack(message: string, lostSnapshot: boolean): void;
  /** The worker has answered nothing for long (`message` says how long and why, once per run, for the alert and the console); it is kept. */
  stalled(message: string): void;
}

/**
 * Where a run's measurements are made: in the worker while it can measure
 * this model, on the training thread otherwise. It starts the worker,
 * hands it snapshots, turns its replies into the run's events, and gives it
 * up — saying so once, naming the reason — when it cannot rebuild the
 * model, cannot start here, or dies.
 */
export class WorkerRoute {
  private beside: WorkerMeasurer | null = null;
  /** The run has said the worker stalled (it says so once). */
  private stallNoticed = false;
  /** A worker given up on, being ended (awaited at the run's end). */
  private closing: Promise<void> = Promise.resolve();
  /** The snapshots a worker given up on never measured (WorkerMeasurer.takeLost), until takeLost() hands them over. */
  private lost: Promise<UnmeasuredSnapshot[]> = Promise.resolve([]);

  private constructor(
    private readonly events: WorkerRouteEvents,
    /** The run's model: a worker's refusal to rebuild it is remembered (REFUSED). */
    private readonly model: object,
  ) {}

  /** Starts the worker for the run; when it cannot, the route measures on the thread from the start (after saying why). */
  static async open(plan: RunPlan, options: ResolvedOptions, events: WorkerRouteEvents): Promise<WorkerRoute> {
    const route = new WorkerRoute(events, plan.model);
    const refused = REFUSED.get(plan.model);
    if (refused !== undefined) {
      // The same words as the first time: the console, which says each thing once per monitor, stays quiet.
      route.fallBack(new Error(refused));
      return route;
    }
    try {
      route.beside = await WorkerMeasurer.start(() => platform().startMeasureWorker(), plan.model, plan.targets, plan.probe, measureOptionsOf(options));
    } catch (err) {
      route.fallBack(err);
    }
    return route;
  }

  /** True while the worker measures (false once given up on). */
  get inWorker(): boolean {
    return this.beside !== null;
  }

  /** True when a measurement could start now: on the thread, or the worker has answered its last snapshot. */
  get free(): boolean {
    return this.beside?.idle ?? true;
  }

  /** The worker has a snapshot to measure, past its warm-up (see WorkerMeasurer.measuringWarm). */
  get measuringWarm(): boolean {
    return this.beside?.measuringWarm ?? false;
  }

  /** The worker is past its warm-up (see WorkerMeasurer.warm). */
  get warm(): boolean {
    return this.beside?.warm ?? false;
  }

  /** The worker is past its warm-up and has nothing to measure (see WorkerMeasurer.resting). */
  get resting(): boolean {
    return this.beside?.resting ?? false;
  }

  /** Hands over the replies that have arrived, and says once if the worker has stalled. */
  take(): void {
    if (!this.beside) return;
    this.handle(this.beside.take());
    this.noticeStall();
  }

  /**
   * Sends the worker the weights of `step`. False when the worker turned
   * out unusable (first snapshot): the caller measures on the thread.
   */
  async snapshot(step: number, epoch: number, gradNormHistory: readonly number[]): Promise<boolean> {
    if (!this.beside) return false;
    try {
      await this.beside.snapshot(step, epoch, gradNormHistory);
      return true;
    } catch (err) {
      this.fallBack(err);
      return false;
    }
  }

  /**
   * The snapshots the worker had in hand when it was given up on, oldest
   * first, handed over once for the thread to measure at their own steps
   * (the run's first among them when the worker never answered it).
   */
  takeLost(): Promise<UnmeasuredSnapshot[]> {
    const lost = this.lost;
    this.lost = Promise.resolve([]);
    return lost;
  }

  /** Waits (bounded) for the worker's measurement in flight and hands it over. */
  async settle(): Promise<void> {
    if (!this.beside) return;
    this.landed(await this.beside.settle());
  }

  /**
   * At the run's end: the measurement in flight lands, then the worker ends.
   * A worker still starting, or slower than it usually is, is not waited
   * for: the snapshots it was to measure are returned (the newest, and the
   * run's first when that too is unanswered), for the thread to measure,
   * after those of a worker given up on that takeLost() has not handed over.
   */
  async end(): Promise<UnmeasuredSnapshot[]> {
    const beside = this.beside;
    let unmeasured: UnmeasuredSnapshot[] = [];
    try {
      if (beside) {
        // A 'ready' that has arrived posts the held snapshot, which is then in flight.
        this.handle(beside.take());
        const held = this.beside === beside ? await beside.releaseHeld() : null;
        if (held) unmeasured = [held];
        else if (this.beside === beside) {
          const finished = await beside.finish();
          this.landed(finished);
          unmeasured = finished.unfinished;
        }
      }
    } finally {
      this.beside = null;
      await beside?.close();
      await this.closing;
    }
    return [...(await this.takeLost()), ...unmeasured];
  }

  private landed({ replies, gaveUpAfterMs }: { replies: ReturnType<WorkerMeasurer['take']>; gaveUpAfterMs: number | null }): void {
    this.handle(replies);
    // Said in the run's events too, as any lost measurement is; the console hears it once per monitor.
    if (gaveUpAfterMs !== null) this.events.failed(`the worker's measurement did not finish within ${gaveUpAfterMs / 1000} s; it is not recorded`, 'in the worker, not waited for longer');
  }

  private handle(replies: ReturnType<WorkerMeasurer['take']>): void {
    for (const reply of replies) {
      if (reply.type === 'measured') this.events.measured(reply);
      else if (reply.type === 'failed' && reply.phase === 'measure') this.events.failed(reply.message, `in the worker, the snapshot of step ${reply.step}`);
      else if (reply.type === 'failed') {
        const why = failure(reply.phase, reply.message);
        // Only a class the worker's tfjs lacks (tfjs says "Unknown layer: …"): that does not change; other failures may not recur.
        if (reply.phase === 'rebuild' && /^Unknown [a-z]+: /i.test(reply.message)) REFUSED.set(this.model, why);
        this.fallBack(new Error(why), true);
      }
    }
  }

  private noticeStall(): void {
    const beside = this.beside;
    if (!beside || this.stallNoticed) return;
    // At every step: the cheap test first.
    const stalled = beside.stalledMs;
    if (stalled < STALL_NOTICE_MS) return;
    const usual = beside.usualCostMs;
    if (stalled < 10 * (usual ?? 0)) return;
    this.stallNoticed = true;
    // In ms below a second: a usual 30 ms read "0.0 s".
    const took = usual === null ? '' : ` (its measurements took ${usual < 1000 ? `${Math.round(usual)} ms` : `${(usual / 1000).toFixed(1)} s`})`;
    const message =
      `the measurement worker has answered nothing for ${Math.round(stalled / 1000)} s while training went on${took}: ` +
      `it runs at the lowest priority (in a page, at the page's), and a busy machine can leave it no CPU. ` +
      `Its measurements resume when it gets some (in Node the run's end measures its last snapshot on the training thread); ` +
      `pass worker: false to measure on the training thread, within the budget`;
    this.events.stalled(message);
  }

  private fallBack(err: unknown, lostSnapshot = false): void {
    const beside = this.beside;
    this.beside = null;
    if (beside) {
      // Taken before it is closed, which would drop them.
      this.lost = beside.takeLost();
      // Ended in the background: the notice goes out now, before anything the thread measures.
      this.closing = beside.close().catch(() => {});
    }
    // Without its closing full stop (a browser's worker error has one): the sentence goes on.
    const why = (err instanceof Error ? err.message : String(err)).replace(/\.+$/, '');
    const message = `measuring on the training thread, not in a worker: ${why}. Pass worker: false to measure there without this message`;
    this.events.fellBack(message, lostSnapshot);
  }
}
