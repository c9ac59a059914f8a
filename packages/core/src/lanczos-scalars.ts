import * as tf from '@tensorflow/tfjs-core';
import { readsAtOnce } from './reads-at-once.js';
import { BREAKDOWN, selectRows } from './rows.js';

/**
 * Where a batched Lanczos run does the arithmetic of its coefficients (the
 * norms' square roots, the breakdown test, the division by α or β):
 *
 * - 'device': in [rows, 1, 1] tensors, read back only at the next check
 *   (LanczosCoefficients.read).
 * - 'host': the row sums of squares are read at once, the rest is done in
 *   JS, and the reciprocals go back as [rows, 1, 1] tensors.
 *
 * Kernels per step besides the operator's, counted on dense maps: on J Jᵀ
 * (gram-step.ts) 21 on the device, 9 on the host; Golub–Kahan
 * (golub-kahan-step.ts) 48 and 12. A SimpleRNN's warm measurement at
 * n = 128, T = 100 makes 2,529 kernels instead of 3,166, an LSTM's 10,721
 * instead of 12,034 (bench/profile.mjs).
 *
 * Why both: on wasm and the cpu backend a read is a copy of this thread's
 * memory (reads-at-once.ts), ~25 µs, and costs less than the kernels it
 * replaces: on wasm a kernel's fixed cost is 10–40 µs whatever its size
 * (bench/profile.mjs). Net, 2–7% of a cold measurement and 0–4% of a warm
 * one (bench/RESULTS.md, nineteenth round). On WebGL or WebGPU a read
 * waits for the GPU to finish, at every step: there the coefficients stay
 * on the device.
 *
 * The two give the same numbers (gram-step.test.ts,
 * golub-kahan-step.test.ts; bitwise but for a vector entry's −0, which the
 * device form's 0·restart term turns into 0): every host operation is one float32 operation
 * of the device form done in float64 and rounded once to float32 with
 * Math.fround, and for +, −, ×, ÷ and √ of float32 operands that is the
 * float32 result (float64 has more than twice float32's 24 bits plus two).
 */
export type LanczosScalars = 'host' | 'device';

/** The form for the current backend (see LanczosScalars). */
export function defaultLanczosScalars(): LanczosScalars {
  return readsAtOnce() ? 'host' : 'device';
}

/**
 * One form's per-run state (its scale per map) and its step: what
 * gram-step.ts and golub-kahan-step.ts make for a run.
 */
export interface LanczosSteps<Input, Output> {
  step(input: Input): Output;
  /** Keeps rows `keep` (positions in the current rows) of the state after a compaction. */
  select(keep: number[]): void;
  dispose(): void;
}

/** The device form's running scale per row [rows, 1, 1]: replaced at every step, its rows gathered at every compaction. */
export class DeviceScale {
  value: tf.Tensor3D;

  constructor(batch: number) {
    this.value = tf.zeros([batch, 1, 1]);
  }

  replace(next: tf.Tensor3D): void {
    this.value.dispose();
    this.value = next;
  }

  select(keep: number[]): void {
    this.replace(selectRows(this.value, keep));
  }

  dispose(): void {
    this.value.dispose();
  }
}

/** The larger of two float32 values as tf.maximum gives it on the cpu backend: NaN if either is NaN (the host forms' running scale). */
export function maximum(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b;
}

const F32_BREAKDOWN = Math.fround(BREAKDOWN);

/** BREAKDOWN·scale as the device computes it: the float32 constant times the float32 scale, rounded to float32. */
export function breakdownThreshold(scale: number): number {
  return Math.fround(scale * F32_BREAKDOWN);
}
