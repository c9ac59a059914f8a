import type { TensorValues } from '../measure-worker/messages.js';
import { disposeClones, readClones, type WeightClones } from './weight-snapshot.js';

/** A snapshot taken and not yet sent: the weights as clones, and the step they belong to. */
export interface HeldSnapshot {
  clones: WeightClones;
  step: number;
  epoch: number;
  gradNormHistory: number[];
}

/** A snapshot the worker did not measure, handed back for the thread to measure: the weights' values and the step they belong to. */
export interface UnmeasuredSnapshot {
  step: number;
  epoch: number;
  gradNormHistory: number[];
  weights: { layer: string; values: TensorValues[] }[];
}

/** A snapshot's clones being read back to be posted, and the step they belong to. */
export interface SnapshotRead {
  at: Omit<HeldSnapshot, 'clones'>;
  read: ReturnType<typeof readClones>;
}

/**
 * What a measurement worker had in hand and will never measure, once it is
 * given up on (it died, did not start, cannot rebuild the model or take
 * the weights): the snapshots posted and unanswered (their kept copies),
 * the one being read back to be posted, and the one held while it started
 * (clones). Handed over once, by take(), for the training thread to
 * measure at their own steps: the run's first step above all, the baseline
 * every later one is read against.
 */
export class LostSnapshots {
  private readonly posted: UnmeasuredSnapshot[] = [];
  private held: HeldSnapshot | null = null;
  private reading: SnapshotRead | null = null;

  /** A snapshot posted and unanswered (once per step). */
  addPosted({ step, epoch, gradNormHistory, weights }: UnmeasuredSnapshot): void {
    if (!this.posted.some((p) => p.step === step)) this.posted.push({ step, epoch, gradNormHistory, weights });
  }

  /** The snapshot held while the worker started; its clones are now this object's to dispose. */
  addHeld(held: HeldSnapshot): void {
    if (this.held) disposeClones(this.held.clones);
    this.held = held;
  }

  /** The snapshot being read back to be posted (its reader disposes the clones, and will not send it). */
  addReading(reading: SnapshotRead): void {
    this.reading = reading;
  }

  /** All of them, oldest first; the held one's clones are read back (and disposed) here. */
  async take(): Promise<UnmeasuredSnapshot[]> {
    const snapshots = [...this.posted];
    const held = this.held;
    this.held = null;
    const reads = [this.reading, held && { at: { step: held.step, epoch: held.epoch, gradNormHistory: held.gradNormHistory }, read: readClones(held.clones) }];
    for (const reading of reads) {
      if (!reading) continue;
      try {
        snapshots.push({ ...reading.at, weights: (await reading.read).weights });
      } catch {
        // Its weights cannot be read back (a lost WebGL context; the reader of one being posted reports it): the others are still measured.
      }
    }
    return snapshots.sort((a, b) => a.step - b.step);
  }

  /** Frees the held clones, when take() was never called. */
  dispose(): void {
    if (this.held) disposeClones(this.held.clones);
    this.held = null;
  }
}
