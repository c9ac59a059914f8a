/**
 * The training thread's run-queue wait while the measurement worker works,
 * which the budget holds to its fraction of training time on an account of
 * its own, apart from the monitor's time on the thread (cadence.ts); per
 * measurement that account takes the larger of this charge and the
 * training steps' excess over steps while the worker rests
 * (slowdown-charge.ts), which holds the wait and what else slows training.
 *
 * Why: a worker costs the training thread no CPU time of its own, yet
 * training slows beside it. Read from the kernel's per-thread records over
 * whole runs (SimpleRNN n = 64, T = 50, `every: 1`, 2 cores), the training
 * thread's CPU time stayed that of plain training while its wait for a core
 * grew from 0.3–0.6% of the run to 6–8% when the worker was a thread whose
 * garbage V8 collected on the training process's helpers, at training's
 * priority. A measurement process of its own, every thread of it lowered,
 * still leaves a wait: V8 wakes training's own collection helpers all the
 * time, and with the other core busy they take training's. Charging the wait bounds what the worker costs
 * training, not only what the monitor does on the thread: when the wait
 * exceeds the budget, snapshots are spaced out and the worker rests.
 *
 * What is charged, and why no more:
 * - only intervals that begin with a snapshot in the worker's hands, past
 *   its warm-up (its start and first, cold, measurement are a one-time
 *   cost, not charged, as the thread's first measurement is not): a wait
 *   while the worker rests is not its doing;
 * - per measurement, at most the worker's own CPU time for it, when its
 *   reply arrives. The collection a measurement causes is a fraction of
 *   the work the measurement does, so a longer wait is other load: a
 *   worker starved of CPU on a busy machine holds its snapshot for
 *   seconds, and charging the whole wait would hold measurements back long
 *   after the machine is free again.
 * Where the OS does not tell (a page, macOS, Windows), no wait is charged
 * (the steps' excess still is).
 */
export class RunQueueCharge {
  /** The wait reading at the start of a charged interval, or null. */
  private since: number | null = null;
  /** Wait read in charged intervals since the worker's last reply. */
  private pending = 0;

  constructor(private readonly readWaitMs: () => number | null) {}

  /** Starts an interval at the end of a step; `workerBusy`: the worker has a snapshot to measure. */
  mark(workerBusy: boolean): void {
    this.since = workerBusy ? this.readWaitMs() : null;
  }

  /** Ends the interval at the start of the next step: its wait, when charged, waits for the worker's reply. */
  collect(): void {
    if (this.since === null) return;
    const now = this.readWaitMs();
    if (now !== null) this.pending += Math.max(0, now - this.since);
    this.since = null;
  }

  /** The worker answered a measurement that took `workerCpuMs` of its CPU: the wait to charge now (ms). */
  settle(workerCpuMs: number): number {
    const charged = Math.min(this.pending, Math.max(0, workerCpuMs));
    this.pending = 0;
    return Number.isFinite(charged) ? charged : 0;
  }
}
