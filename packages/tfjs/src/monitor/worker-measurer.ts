import type * as tf from '@tensorflow/tfjs';
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import type { FromWorker, InitMessage } from '../measure-worker/messages.js';
import type { Probe } from '../probe.js';
import type { LayerTarget } from '../recurrent-layers.js';
import { layersNeeded, snapshotWeights } from './weight-snapshot.js';
import { workerInit } from './worker-init.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long the first step waits for the worker to load tfjs and rebuild the model. */
export const WORKER_START_TIMEOUT_MS = 60_000;

/** A worker that cannot measure this model; the monitor measures on the training thread instead. */
export class WorkerUnusable extends Error {}

/**
 * The training thread's side of measuring in a worker: it sends the model
 * once, then at most one snapshot at a time — only when the worker has
 * answered the previous one (`idle`), so a slow measurement skips steps
 * rather than queueing stale ones — and hands back the worker's replies.
 */
export class WorkerMeasurer {
  private busy = false;
  private ready = false;
  /** The longest measurement the worker has reported, to bound the wait at the end of a run. */
  private longestMs = 0;

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
      throw new WorkerUnusable(`no worker could start here (${(err as Error).message.split('\n')[0]})`);
    }
    link.post({ ...described.init, backend: link.backend }, described.transfer);
    return new WorkerMeasurer(link, layersNeeded(model, targets, probe));
  }

  /** True when a snapshot would be measured now (the worker has answered the last one). */
  get idle(): boolean {
    return !this.busy;
  }

  /**
   * Copies out the needed weights as of `step` and posts them. The first
   * call waits for the worker to be ready and throws WorkerUnusable when it
   * cannot start or cannot rebuild the model.
   */
  async snapshot(step: number, epoch: number, gradNormHistory: readonly number[]): Promise<void> {
    if (!this.ready) await this.whenReady();
    const { weights, transfer } = await snapshotWeights(this.needed);
    this.link.post({ type: 'snapshot', step, epoch, weights, gradNormHistory: [...gradNormHistory] }, transfer);
    this.busy = true;
  }

  /**
   * The replies that have arrived, oldest first. A worker that died is a
   * final 'failed' reply of its own.
   */
  take(): FromWorker[] {
    const replies: FromWorker[] = [];
    for (let r = this.link.poll(); r; r = this.link.poll()) {
      if (r.type === 'measured') this.longestMs = Math.max(this.longestMs, r.durationMs);
      if (r.type === 'ready') {
        this.ready = true;
        continue;
      }
      this.busy = false;
      replies.push(r);
    }
    if (this.link.died && (this.busy || !this.ready)) {
      this.busy = false;
      replies.push({ type: 'failed', phase: 'start', message: `the worker stopped: ${this.link.died.message}` });
    }
    return replies;
  }

  /**
   * Waits for the in-flight measurement's reply (if any), at most
   * max(10 s, 3 × the longest measurement so far); the replies, and whether
   * it gave up waiting.
   */
  async settle(): Promise<{ replies: FromWorker[]; gaveUpAfterMs: number | null }> {
    const limit = Math.max(10_000, 3 * this.longestMs);
    const deadline = Date.now() + limit;
    const replies = this.take();
    while (this.busy && Date.now() < deadline) {
      await sleep(5);
      replies.push(...this.take());
    }
    return { replies, gaveUpAfterMs: this.busy ? limit : null };
  }

  /** Ends the worker (it disposes its tensors first when it can). */
  async close(): Promise<void> {
    try {
      this.link.post({ type: 'close' });
    } catch {
      // already gone
    }
    await this.link.terminate();
  }

  private async whenReady(): Promise<void> {
    const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
    for (;;) {
      const reply = this.link.poll();
      if (reply?.type === 'ready') {
        this.ready = true;
        return;
      }
      if (reply?.type === 'failed') {
        throw new WorkerUnusable(reply.phase === 'rebuild' ? `the worker could not rebuild the model (${reply.message})` : reply.message);
      }
      if (this.link.died) throw new WorkerUnusable(`the worker stopped while starting: ${this.link.died.message}`);
      if (Date.now() > deadline) throw new WorkerUnusable(`the worker did not start within ${WORKER_START_TIMEOUT_MS / 1000} s`);
      await sleep(5);
    }
  }
}
