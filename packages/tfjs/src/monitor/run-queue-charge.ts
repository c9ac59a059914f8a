import { now } from './clock.js';

/** What the worker is doing during an interval (WorkerMeasurer.warmState): null, not past its warm-up (nothing is read). */
export type WorkerState = 'measuring' | 'resting' | null;

/** Rest intervals the baseline is taken from: the newest REST_SAMPLES. */
export const REST_SAMPLES = 64;
/** Rest time (ms, over those samples) below which no baseline is taken off: a few steps say too little. */
export const MIN_REST_MS = 250;

/**
 * The training thread's run-queue wait while the measurement worker works,
 * which the budget charges like the monitor's own time.
 *
 * Why: a worker costs the training thread no CPU time of its own, yet
 * training slows beside it. Read from the kernel's per-thread records over
 * whole runs (SimpleRNN n = 64, T = 50, `every: 1`, 2 cores), the training
 * thread's CPU time stayed that of plain training while its wait for a core
 * grew from 0.3–0.6% of the run to 6–8%: V8 collects the worker's garbage
 * on helper threads the whole process shares, at training's priority (with
 * the helpers' collection turned off, `--single-threaded-gc`, the steady
 * wait fell to 0–1%). Charging the wait keeps the budget's meaning — the
 * training thread's share — with a worker too: when the worker costs more
 * than the budget allows, snapshots are spaced out and the worker rests.
 *
 * What is charged, and why no more:
 * - only intervals that begin with a snapshot in the worker's hands, past
 *   its warm-up (its start and first, cold, measurement are a one-time
 *   cost, not charged, as the thread's first measurement is not): a wait
 *   while the worker rests is not its doing;
 * - of those, only the wait beyond what the training thread waits while
 *   the worker rests (its rate over the newest REST_SAMPLES resting
 *   intervals, times the measuring intervals' length): training waits for
 *   a core without a worker too — for its own collections, for other
 *   processes — and on a busy machine that wait was charged as the
 *   worker's: with other processes loading the 2 cores (plain training
 *   waited 2–26% of its run), the done-when row (SimpleRNN n = 64,
 *   T = 50, every: 1) measured once per 18.9 steps, and once per 8.2 with
 *   the baseline taken off, at wall time 1.10 and 1.06 of plain training
 *   (medians of 10 alternated rounds); on the machine alone (plain
 *   training waited 0.6–2.2%) 2.51 and 2.55, no difference. The first
 *   resting interval after a reply is charged with the next one: the
 *   worker's collections outlast its reply (the training thread waited
 *   6–34% of that interval, 2–20% of later resting ones);
 * - per measurement, at most the worker's own CPU time for it, when its
 *   reply arrives. The collection a measurement causes is a fraction of
 *   the work the measurement does, so a longer wait is other load: a
 *   worker starved of CPU on a busy machine holds its snapshot for
 *   seconds, and charging the whole wait would hold measurements back long
 *   after the machine is free again.
 * Where the OS does not tell (a page, macOS, Windows), nothing is charged.
 */
export class RunQueueCharge {
  /** The reading and time at the start of an interval, and what the worker was doing; null: none begun. */
  private since: { waitMs: number; at: number; state: 'measuring' | 'resting' } | null = null;
  /** Wait read, and time spent, in measuring intervals since the worker's last reply. */
  private pending = 0;
  private pendingMs = 0;
  /** The last interval collected was a measuring one: the next, if resting, still carries the worker's collections. */
  private afterMeasuring = false;
  /** The newest rest intervals, as [wait, duration] pairs, and their sums. */
  private readonly rest: [number, number][] = [];
  private restWait = 0;
  private restMs = 0;

  constructor(
    private readonly readWaitMs: () => number | null,
    private readonly clock: () => number = now,
  ) {}

  /** Starts an interval at the end of a step, with the worker `state`. */
  mark(state: WorkerState): void {
    const waitMs = state === null ? null : this.readWaitMs();
    this.since = waitMs === null || state === null ? null : { waitMs, at: this.clock(), state };
  }

  /** Ends the interval at the start of the next step: a measuring one's wait (and the first resting one's after it) waits for the worker's reply; a later resting one's is the baseline. */
  collect(): void {
    const since = this.since;
    this.since = null;
    if (!since) return;
    const now = this.readWaitMs();
    if (now === null) return;
    const wait = Math.max(0, now - since.waitMs);
    const ms = Math.max(0, this.clock() - since.at);
    const measuring = since.state === 'measuring';
    // The first resting interval after a reply still has the worker's collections in it (its wait was 6–34% where later ones were 2–20%): charged with the next reply, not taken as the baseline.
    const charged = measuring || this.afterMeasuring;
    this.afterMeasuring = measuring;
    if (charged) {
      this.pending += wait;
      this.pendingMs += ms;
      return;
    }
    this.rest.push([wait, ms]);
    this.restWait += wait;
    this.restMs += ms;
    if (this.rest.length > REST_SAMPLES) {
      const [oldWait, oldMs] = this.rest.shift()!;
      this.restWait -= oldWait;
      this.restMs -= oldMs;
    }
  }

  /** The training thread's wait per ms while the worker rests (0 until MIN_REST_MS of rest has been seen). */
  get baseline(): number {
    return this.restMs >= MIN_REST_MS ? this.restWait / this.restMs : 0;
  }

  /** The worker answered a measurement that took `workerCpuMs` of its CPU: the wait to charge now (ms). */
  settle(workerCpuMs: number): number {
    const extra = this.pending - this.baseline * this.pendingMs;
    const charged = Math.min(Math.max(0, extra), Math.max(0, workerCpuMs));
    this.pending = 0;
    this.pendingMs = 0;
    return Number.isFinite(charged) ? charged : 0;
  }
}
