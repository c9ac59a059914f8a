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
 * wait fell to 0–1%). On one core the worker and its collection take
 * training's own core. Charging the wait keeps the budget's meaning — the
 * training thread's share — with a worker too: when the worker costs more
 * than the budget allows, snapshots are spaced out and the worker rests.
 *
 * An interval is charged only when the worker had a snapshot in hand at its
 * start, past its warm-up (its start and first, cold, measurement are a
 * one-time cost, not charged, as the thread's first measurement is not), so
 * a wait that other processes cause while the worker is idle is never the
 * monitor's: on a busy machine the worker's share shrinks, and rests.
 * Where the OS does not tell (a page, macOS, Windows), nothing is charged.
 */
export class RunQueueCharge {
  private since: number | null = null;

  constructor(private readonly readWaitMs: () => number | null) {}

  /** Starts an interval at the end of a step; `workerBusy`: the worker has a snapshot to measure. */
  mark(workerBusy: boolean): void {
    this.since = workerBusy ? this.readWaitMs() : null;
  }

  /** The training thread's wait in ms since mark(), when that interval is charged; else 0. */
  take(): number {
    if (this.since === null) return 0;
    const now = this.readWaitMs();
    const waited = now === null ? 0 : Math.max(0, now - this.since);
    this.since = null;
    return waited;
  }
}
