/**
 * The main thread's garbage collections that ran while the monitor's
 * periodic yield let the event loop turn: refunded to the budget, because
 * they collect training's garbage, not the monitor's.
 *
 * Why: V8 runs part of its collection as tasks on the event loop (a
 * scavenge once the young generation is 80% full, incremental marking
 * steps), and a training loop only reaches the event loop in the monitor's
 * yields, so those tasks run there and the yields' wall time, charged to
 * the budget, carried them. Measured on SimpleRNN n = 64, T = 50 with
 * `every: 1` (300 steps, 2 cores): the yields took 0.4–0.6 ms of the
 * training thread's CPU each, 100–140 ms a run, and the collections in them
 * were 30–44% of the time charged for the hooks; with V8's collection tasks turned off
 * (--no-minor-gc-task --no-incremental-marking-task, an experiment) 17–32
 * ms, and the worker made 67–88 measurements a run instead of 46–52.
 *
 * Only collections inside a yield are refunded. One that interrupts the
 * monitor's own work elsewhere (an allocation of its hook, a measurement on
 * the thread, whose pauses yield too but collect the measurement's own
 * garbage) stays charged: there the monitor may have caused it. So does one
 * in the yield of a hook that measured on the thread (the caller does not
 * note that yield): V8 runs a task at the next turn of the event loop
 * whoever filled the heap, and after a measurement that is the monitor.
 * Elsewhere the refund still covers the monitor's share of what a
 * collection collects: its hooks and the handling of the worker's results
 * allocate a small fraction of what a training step does, but a loop whose
 * "training" allocated nothing would see the monitor's own garbage
 * refunded (a review measured 7.6 ms refunded of 50 ms charged with the
 * worker, 25.6 of 44.9 ms of yields on the thread before this exclusion).
 *
 * The pauses are reported after the fact (Node delivers its 'gc'
 * performance entries on a later turn of the event loop), so a pause is
 * matched against the last WINDOWS yields, not only the current one, and
 * refunded at the first hook after it is reported.
 */
export type PauseReport = (startMs: number, durationMs: number) => void;
/** Starts reporting the thread's collection pauses to `report`; returns the stop. null where the platform cannot tell (a page). */
export type WatchPauses = ((report: PauseReport) => () => void) | null;

/** Yield windows a late report is matched against: several steps' worth at 50 ms between yields. */
const WINDOWS = 32;

export class YieldCollections {
  private readonly windows: [start: number, end: number][] = [];
  private refund = 0;
  private readonly stop: () => void;

  constructor(watch: WatchPauses) {
    if (!watch) {
      this.stop = () => {};
      return;
    }
    // The report reaches the ledger through a WeakRef: Node holds a watching
    // PerformanceObserver (and what its callback holds) until it is stopped,
    // so a run that is never ended (its fit threw, its monitor was dropped)
    // would be kept forever with its model. Once the ledger is collected,
    // the next report stops the watch.
    const ledger = new WeakRef(this);
    let stop = () => {};
    stop = watch((start, duration) => {
      const self = ledger.deref();
      if (self) self.paused(start, duration);
      else stop();
    });
    this.stop = stop;
  }

  /** A yield ran from `start` to `end` (ms, the clock of the pauses' reports). */
  yielded(start: number, end: number): void {
    this.windows.push([start, end]);
    if (this.windows.length > WINDOWS) this.windows.shift();
  }

  /** Collection time found inside yields since the last call (ms). */
  take(): number {
    const ms = this.refund;
    this.refund = 0;
    return ms;
  }

  close(): void {
    this.stop();
  }

  private paused(start: number, duration: number): void {
    if (!(duration > 0)) return;
    const end = start + duration;
    for (const [from, to] of this.windows) this.refund += Math.max(0, Math.min(end, to) - Math.max(start, from));
  }
}
