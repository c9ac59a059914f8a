import type * as tf from '@tensorflow/tfjs';
import { WorkerDeclined, type MeasureWorkerLink } from '../measure-worker/link.js';
import type { FromWorker, InitMessage } from '../measure-worker/messages.js';
import type { Probe } from '../probe.js';
import type { LayerTarget } from '../recurrent-layers.js';
import { readsAtOnce } from '@gradscope/core';
import { LostSnapshots, type HeldSnapshot, type SnapshotRead, type UnmeasuredSnapshot } from './lost-snapshots.js';
import { cloneWeights, disposeClones, layersNeeded, readClones, readWeightsNow } from './weight-snapshot.js';
import { workerInit } from './worker-init.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long the worker may take to load tfjs and rebuild the model before it is given up on. */
export const WORKER_START_TIMEOUT_MS = 60_000;

/**
 * Snapshots posted and not yet answered, at most. The worker reads its
 * channel only between measurements (a measurement awaits no macrotask), so
 * what is posted meanwhile waits there: one being measured, and the two
 * newest of which it keeps the last. A worker that gets no CPU (a busy
 * machine, at its lowest priority) would otherwise be sent one snapshot per
 * step, each a copy of the weights, for as long as it is starved.
 */
export const MAX_UNANSWERED = 3;

/** A worker that cannot measure this model; the monitor measures on the training thread instead. */
export class WorkerUnusable extends Error {}

/**
 * The training thread's side of measuring in a worker: it sends the model
 * once, then a snapshot at every due step once the worker is ready (the
 * worker keeps only the newest waiting while it measures: a slow
 * measurement skips steps rather than queueing stale ones), and hands back
 * the worker's replies.
 */
export class WorkerMeasurer {
  /** Steps of the snapshots posted and not yet answered (measured, skipped or failed). */
  private readonly unanswered = new Set<number>();
  /** A snapshot being read back and posted. */
  private reading = false;
  private ready = false;
  private readonly startedAt = Date.now();
  /**
   * A snapshot taken before the worker was ready (the first step's): held as
   * clones, which cost nothing while training goes on, and posted when the
   * worker says it is ready. Training never waits for the worker to start.
   */
  private early: HeldSnapshot | null = null;
  /**
   * The newest snapshot posted, its values copied until its reply (outside
   * tfjs: the tensor count does not move): at the run's end a worker that
   * has lost its core is not waited for, the thread measures this instead.
   */
  private newest: (UnmeasuredSnapshot & { postedAt: number }) | null = null;
  /** The run's first snapshot, its values copied until its reply: a worker that lost its core before answering it leaves it to the thread too. */
  private first: UnmeasuredSnapshot | null = null;
  /** When the worker last answered (a measurement ends, the next begins). */
  private lastReplyAt = 0;
  /** Since when the worker has had a snapshot to measure and answered nothing (Date.now()), or null while it has none. */
  private waitingSince: number | null = null;
  private closed = false;
  /** The worker will measure nothing more (giveUp): what post() reads back is no longer sent. */
  private givenUp = false;
  /** The snapshot being read back and posted (post() never rejects). */
  private posting: Promise<void> = Promise.resolve();
  /** Replies with a measurement so far (the first, cold one is not a usual cost). */
  private measuredCount = 0;
  /** What the worker's recent measurements cost (CPU ms where known, else wall ms; newest last, the first left out): how long the end of a run waits for it. */
  private readonly recentCostMs: number[] = [];
  /** A failure found while posting in the background, handed out by the next take(). */
  private deferred: FromWorker | null = null;
  /** The longest measurement the worker has reported, to bound the wait at the end of a run. */
  private longestMs = 0;
  /** What the worker had in hand when it was given up on (see LostSnapshots), until takeLost() hands it over. */
  private lost: LostSnapshots | null = null;
  /** The snapshot post() is reading back, until it is sent: a worker given up on meanwhile leaves it to `lost`. */
  private inRead: SnapshotRead | null = null;
  /** A snapshot the link refused to post, its values copied: the failure that follows gives the worker up, and it goes to `lost`. */
  private refused: UnmeasuredSnapshot | null = null;

  private constructor(
    private readonly link: MeasureWorkerLink,
    private readonly needed: tf.layers.Layer[],
  ) {}

  /**
   * Starts a worker for `model` and sends it the model, loss, probe and
   * options; does not wait for it to load (the first snapshot does).
   * Throws WorkerUnusable naming why when the model cannot be described to a
   * worker or no worker can start here.
   */
  static async start(
    launch: () => Promise<MeasureWorkerLink>,
    model: tf.LayersModel,
    targets: LayerTarget[],
    probe: Probe,
    measure: InitMessage['measure'],
  ): Promise<WorkerMeasurer> {
    let described: Awaited<ReturnType<typeof workerInit>>;
    try {
      described = await workerInit(model, probe, measure);
    } catch (err) {
      throw new WorkerUnusable((err as Error).message);
    }
    let link: MeasureWorkerLink;
    try {
      link = await launch();
    } catch (err) {
      const why = (err as Error).message.split('\n')[0];
      throw new WorkerUnusable(err instanceof WorkerDeclined ? why : `no worker could start here (${why})`);
    }
    link.post({ ...described.init, backend: link.backend }, described.transfer);
    return new WorkerMeasurer(link, layersNeeded(model, targets, probe));
  }

  /**
   * True when a snapshot can be taken now: once the worker is ready, at
   * every due step — the worker keeps the newest one waiting while it
   * measures and goes on with it, so it never waits for the training
   * thread's next step boundary — unless MAX_UNANSWERED are unanswered;
   * before, only the first (held until ready).
   */
  get idle(): boolean {
    return this.ready ? !this.reading && this.unanswered.size < MAX_UNANSWERED : this.early === null;
  }

  /**
   * Past the worker's warm-up (ready, its first measurement answered) with a
   * snapshot posted and not yet answered: the worker is measuring, or about
   * to, and what training waits for a core now is its cost.
   */
  get measuringWarm(): boolean {
    return this.warm && this.unanswered.size > 0;
  }

  /** Past the worker's warm-up: ready, its first (cold) measurement answered. */
  get warm(): boolean {
    return this.ready && this.measuredCount > 0;
  }

  /** Past the worker's warm-up with nothing to measure: a training step now runs beside an idle worker (slowdown-charge.ts). */
  get resting(): boolean {
    return this.warm && !this.busy;
  }

  /** Something posted or held is not answered yet. */
  private get busy(): boolean {
    return this.unanswered.size > 0 || this.reading || this.early !== null;
  }

  /**
   * Copies out the needed weights as of `step` and posts them: at once
   * where a read blocks nothing (wasm, cpu: see readsAtOnce), else through
   * clones read back asynchronously. Before the worker is ready, the copy is
   * held (a clone shares the weights' data, so holding it costs nothing)
   * and posted when the worker is: the first step does not wait for the
   * worker to load.
   */
  async snapshot(step: number, epoch: number, gradNormHistory: readonly number[]): Promise<void> {
    const history = [...gradNormHistory];
    if (this.ready && readsAtOnce()) {
      try {
        this.send(readWeightsNow(this.needed), { step, epoch, gradNormHistory: history });
      } catch (err) {
        this.deferred = { type: 'failed', phase: 'weights', message: (err as Error).message, step };
      }
      return;
    }
    const held = { clones: cloneWeights(this.needed), step, epoch, gradNormHistory: history };
    if (!this.ready) {
      if (this.early) disposeClones(this.early.clones);
      this.early = held;
      return;
    }
    await (this.posting = this.post(held));
  }

  /**
   * The replies that have arrived, oldest first. A worker that died, or did
   * not start in time, is a final 'failed' reply of its own.
   */
  take(): FromWorker[] {
    const replies: FromWorker[] = [];
    if (this.deferred) {
      replies.push(this.deferred);
      this.deferred = null;
    }
    for (let r = this.link.poll(); r; r = this.link.poll()) {
      if (r.type === 'ready') {
        this.ready = true;
        const early = this.early;
        this.early = null;
        if (early) this.posting = this.post(early, true);
        continue;
      }
      this.lastReplyAt = Date.now();
      if (r.type === 'measured') {
        this.longestMs = Math.max(this.longestMs, r.durationMs);
        if (this.measuredCount++ > 0) this.recentCostMs.push(r.cpuMs ?? r.durationMs);
        if (this.recentCostMs.length > 8) this.recentCostMs.shift();
      }
      if ('step' in r && r.step !== undefined) {
        this.unanswered.delete(r.step);
        this.waitingSince = this.unanswered.size > 0 ? this.lastReplyAt : null;
        if (this.newest?.step === r.step) this.newest = null;
        if (this.first?.step === r.step) this.first = null;
      }
      if (r.type !== 'skipped') replies.push(r);
    }
    if (this.link.died && (this.busy || !this.ready)) {
      replies.push({ type: 'failed', phase: 'start', message: `the worker stopped${this.ready ? '' : ' while starting'}: ${this.link.died.message}` });
    } else if (!this.ready && Date.now() - this.startedAt > WORKER_START_TIMEOUT_MS) {
      replies.push({ type: 'failed', phase: 'start', message: `the worker did not start within ${WORKER_START_TIMEOUT_MS / 1000} s` });
    }
    // The worker cannot measure at all (it died, did not start, cannot rebuild the model or take the weights).
    if (replies.some((r) => r.type === 'failed' && r.phase !== 'measure')) this.giveUp();
    return replies;
  }

  /** The worker will measure nothing more: what it had in hand moves to `lost`, for takeLost(). Called again, it adds nothing new. */
  private giveUp(): void {
    const lost = (this.lost ??= new LostSnapshots());
    for (const snapshot of [this.first, this.newest, this.refused]) if (snapshot) lost.addPosted(snapshot);
    this.refused = null;
    if (this.early) lost.addHeld(this.early);
    this.early = null;
    // Being read back to be posted (the first, when 'ready' and the death came together): post() will not send it now.
    if (this.inRead) lost.addReading(this.inRead);
    this.givenUp = true;
    this.forgetPosted();
  }

  /** The snapshots the worker was given up on with, oldest first (see LostSnapshots), handed over once: the caller measures them. */
  takeLost(): Promise<UnmeasuredSnapshot[]> {
    const lost = this.lost;
    this.lost = null;
    return lost ? lost.take() : Promise.resolve([]);
  }

  /**
   * Waits for the in-flight measurement's reply (if any), at most
   * max(10 s, 3 × the longest measurement so far), plus what is left of the
   * start timeout while the worker is still starting (monitor.measure()
   * mid-run, so its event follows the held snapshot's); the replies, and
   * whether it gave up waiting.
   */
  async settle(): Promise<{ replies: FromWorker[]; gaveUpAfterMs: number | null }> {
    const starting = this.ready ? 0 : Math.max(0, WORKER_START_TIMEOUT_MS - (Date.now() - this.startedAt));
    const limit = starting + Math.max(10_000, 3 * this.longestMs);
    const deadline = Date.now() + limit;
    const replies = this.take();
    while (this.busy && Date.now() < deadline) {
      await sleep(5);
      replies.push(...this.take());
    }
    return { replies, gaveUpAfterMs: this.busy ? limit : null };
  }

  /**
   * The snapshot held while the worker starts, handed over (the caller
   * measures and disposes it) when the worker is not ready yet; null when it
   * is, or holds none. At the end of a run shorter than the worker's start,
   * measuring it on the thread costs one measurement, where waiting for the
   * worker would cost the rest of its start and the measurement.
   */
  async releaseHeld(): Promise<UnmeasuredSnapshot | null> {
    if (this.ready || !this.early || !this.link.threadTakesOver) return null;
    const { clones, step, epoch, gradNormHistory } = this.early;
    this.early = null;
    return { step, epoch, gradNormHistory, weights: (await readClones(clones)).weights };
  }

  /**
   * At the run's end: waits for the measurement in flight, but only as long
   * as three times what the worker's measurements usually cost (their CPU
   * time where the platform tells, so a worker that waited for a core does
   * not raise the bar; the lower median of its recent ones, the cold first
   * left out; at least 250 ms), counted from when the snapshot was posted;
   * 2 s before it has a usual cost. A worker slower than that has lost its
   * core (in Node it runs at the lowest priority, and the machine is busy):
   * its snapshot is handed back as `unfinished`, for the thread to measure
   * at about that cost, rather than the run's end waiting for it — with
   * the run's first snapshot before it when that too is unanswered (the
   * worker measures the first before any other, so it is unanswered only
   * when the newest is).
   */
  async finish(): Promise<{ replies: FromWorker[]; unfinished: UnmeasuredSnapshot[]; gaveUpAfterMs: number | null }> {
    await this.posting;
    const replies = this.take();
    if (!this.link.threadTakesOver) {
      const settled = await this.settle();
      return { replies: [...replies, ...settled.replies], unfinished: [], gaveUpAfterMs: settled.gaveUpAfterMs };
    }
    const patience = this.patienceMs();
    // The newest snapshot waits for the measurement before it: its time counts from when that one ended.
    const deadline = () => Math.max(this.newest!.postedAt, this.lastReplyAt) + patience;
    while (this.newest && Date.now() < deadline()) {
      await sleep(5);
      replies.push(...this.take());
    }
    if (this.newest) {
      // A last look: a reply may have arrived during the final sleep.
      await sleep(0);
      replies.push(...this.take());
    }
    if (this.newest) {
      const { postedAt: _postedAt, ...newest } = this.newest;
      const unfinished = this.first && this.first.step !== newest.step ? [this.first, newest] : [newest];
      this.forgetPosted();
      return { replies, unfinished, gaveUpAfterMs: null };
    }
    // The newest has landed; an older one still in flight is not waited for (the newest supersedes it).
    this.forgetPosted();
    return { replies, unfinished: [], gaveUpAfterMs: null };
  }

  private forgetPosted(): void {
    this.unanswered.clear();
    this.waitingSince = null;
    this.newest = null;
    this.first = null;
  }

  /**
   * How long the worker, ready and with a snapshot to measure, has answered
   * nothing (ms; 0 when it has nothing to measure): a worker that gets no
   * CPU (a busy machine, at its lowest priority) goes on being so.
   */
  get stalledMs(): number {
    return this.ready && this.waitingSince !== null ? Math.max(0, Date.now() - this.waitingSince) : 0;
  }

  /** The median of the worker's recent measurements' cost (ms), or null before it has one past the cold first. */
  get usualCostMs(): number | null {
    if (this.recentCostMs.length === 0) return null;
    const sorted = [...this.recentCostMs].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  }

  private patienceMs(): number {
    const usual = this.usualCostMs;
    return usual === null ? 2000 : Math.max(250, 3 * usual);
  }

  /** Ends the worker: a page's disposes its tensors first when it can; a Node process is killed at once, the system reclaiming its memory. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.early) disposeClones(this.early.clones);
    this.early = null;
    this.lost?.dispose();
    this.lost = null;
    this.forgetPosted();
    try {
      this.link.post({ type: 'close' });
    } catch {
      // already gone
    }
    await this.link.terminate();
  }

  /** Reads the clones back (disposing them) and sends the values; a failure is handed out by the next take(). */
  private async post(held: HeldSnapshot, first = false): Promise<void> {
    const { clones, ...at } = held;
    this.reading = true;
    const reading = { at, read: readClones(clones) };
    this.inRead = reading;
    try {
      const read = await reading.read;
      if (this.closed || this.givenUp) return;
      this.send(read, at, first);
    } catch (err) {
      if (!this.givenUp) this.deferred = { type: 'failed', phase: 'weights', message: (err as Error).message, step: at.step };
    } finally {
      this.reading = false;
      this.inRead = null;
    }
  }

  /** Posts a snapshot's values, keeping a copy of the newest until its reply. */
  private send(
    { weights, transfer }: Awaited<ReturnType<typeof readClones>>,
    { step, epoch, gradNormHistory }: Omit<HeldSnapshot, 'clones'>,
    first = false,
  ): void {
    // Copied before the transfer detaches them: 0.1 ms for a megabyte of weights.
    const kept = weights.map((w) => ({ layer: w.layer, values: w.values.map((v) => ({ ...v, values: v.values.slice() })) }));
    try {
      this.link.post({ type: 'snapshot', step, epoch, weights, gradNormHistory, ...(first ? { first: true } : {}) }, transfer);
    } catch (err) {
      // Refused (a page's DataCloneError): its failure gives the worker up, and this snapshot goes to the thread with the rest.
      this.refused = { step, epoch, gradNormHistory, weights: kept };
      throw err;
    }
    if (this.unanswered.size === 0) this.waitingSince = Date.now();
    this.unanswered.add(step);
    this.newest = { step, epoch, gradNormHistory, weights: kept, postedAt: Date.now() };
    if (first) this.first = { step, epoch, gradNormHistory, weights: kept };
  }
}
