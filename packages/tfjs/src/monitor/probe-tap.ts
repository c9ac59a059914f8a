import * as tf from '@tensorflow/tfjs';
import type { Probe } from '../probe.js';

/** Samples of the first batch that tap() keeps as the probe. */
export const TAP_SAMPLES = 8;

/**
 * The monitor's probe: the one given as an option, or, for fitDataset, the
 * first TAP_SAMPLES samples of the first batch a tapped dataset yields.
 * Captured tensors are kept (tf.keep) because the batch itself is disposed
 * by fitDataset, and are this object's to dispose in release().
 */
export class ProbeTap {
  probe: Probe | null;
  /** tap() was called: the probe arrives with the first batch, so the run starts there. */
  tapped = false;
  private owned: tf.Tensor[] = [];

  constructor(private readonly given: Probe | null) {
    this.probe = given;
  }

  /** The dataset, unchanged, with a tap that captures the probe from its first batch (when none was given). */
  tap<T extends tf.TensorContainer>(dataset: tf.data.Dataset<T>): tf.data.Dataset<T> {
    this.tapped = true;
    return dataset.map((batch: T) => {
      if (!this.probe) this.probe = this.capture(batch);
      return batch;
    });
  }

  /** Disposes the captured probe; the next tapped run captures a new one. A given probe is the caller's and stays. */
  release(): void {
    tf.dispose(this.owned);
    this.owned = [];
    if (this.given === null) this.probe = null;
  }

  /** A batch is { xs, ys } or [xs, ys], each a tensor, an array of tensors or a map of them; null when xs is none of these. */
  private capture(batch: unknown): Probe | null {
    const b = batch as { xs?: unknown; ys?: unknown } | unknown[];
    const xs = Array.isArray(b) ? this.pick(b[0]) : this.pick(b.xs);
    const ys = Array.isArray(b) ? this.pick(b[1]) : this.pick(b.ys);
    if (!xs) return null;
    return ys ? { xs, ys } : { xs };
  }

  private pick(x: unknown): tf.Tensor | tf.Tensor[] | null {
    if (x instanceof tf.Tensor) {
      const kept = tf.keep(x.slice(0, Math.min(TAP_SAMPLES, x.shape[0] ?? TAP_SAMPLES)));
      this.owned.push(kept);
      return kept;
    }
    if (Array.isArray(x) && x.every((t) => t instanceof tf.Tensor)) return x.map((t) => this.pick(t) as tf.Tensor);
    if (x && typeof x === 'object') {
      const values = Object.values(x);
      if (values.length && values.every((t) => t instanceof tf.Tensor)) return values.map((t) => this.pick(t) as tf.Tensor);
    }
    return null;
  }
}
