import * as tf from '@tensorflow/tfjs-core';
import type { LanczosCoefficients } from './lanczos-coefficients.js';
import type { BatchedOperator } from './operator.js';
import { breakdownThreshold, DeviceScale, maximum, type LanczosScalars, type LanczosSteps } from './lanczos-scalars.js';
import { BREAKDOWN, scaleRows } from './rows.js';

/**
 * One step of the Lanczos on J Jᵀ (gram-lanczos.ts), in the two forms of
 * lanczos-scalars.ts, which compute the same numbers:
 *
 *   w = JJᵀ u_j − β_{j−1} u_{j−1},  α_j = u_j·w,  w −= α_j u_j,  β_j = ‖w‖,  u_{j+1} = w / β_j
 *
 * - 'device': β_j's square root, the running scale, the breakdown test,
 *   1/β_j and the restart are 12 kernels besides the scaling by 1/β_j,
 *   most on [rows, 1, 1] tensors (the restart's three on rows of n); α
 *   and β wait on the device for the next check.
 * - 'host': α_j and ‖w‖² are read at every step (two reads) and the rest
 *   is done in JS; the scaling by 1/β_j is the step's one kernel after
 *   ‖w‖², and a breakdown adds the restart's.
 */
export interface GramStepInput {
  /** The operator on the rows still running. */
  current: BatchedOperator;
  u: tf.Tensor3D;
  uPrev: tf.Tensor3D;
  /** β_{j−1} per row [rows, 1, 1] (0 at the first step or after a breakdown). */
  betaPrev: tf.Tensor3D;
  /** Step index j (0-based). */
  j: number;
  /** The run's last step: only α_j is wanted. */
  last: boolean;
  /** Original map index of each row. */
  active: number[];
  /** The seeded restart direction for this step's breakdowns [1, 1, n]. */
  restart: () => tf.Tensor3D;
}

export interface GramStepOutput {
  /** u_{j+1} and β_j [rows, 1, 1] (the next step's betaPrev); absent at the last step. */
  next?: { u: tf.Tensor3D; beta: tf.Tensor3D };
  /** Coefficients still on the device, in the order α_j, β_j, for the next check to read; the host form records them at once. */
  pending: tf.Tensor3D[];
}

export type GramSteps = LanczosSteps<GramStepInput, GramStepOutput>;

/** The form `scalars` for a batch of `batch` maps, writing into `coefficients` where it records at once. */
export function gramSteps(scalars: LanczosScalars, batch: number, coefficients: LanczosCoefficients): GramSteps {
  return scalars === 'host' ? hostSteps(batch, coefficients) : deviceSteps(batch);
}

/** α_j and w after the subtractions, the part both forms share. */
function residual(input: GramStepInput): { alpha: tf.Tensor3D; w: tf.Tensor3D } {
  const { current, u, uPrev, betaPrev } = input;
  const w = tf.sub(current.applyOuter!(u), scaleRows(betaPrev, uPrev)) as tf.Tensor3D;
  const alpha = tf.sum(tf.mul(u, w), -1, true) as tf.Tensor3D;
  return { alpha, w };
}

function deviceSteps(batch: number): GramSteps {
  // The map's scale: the largest α so far (α = uᵀ JJᵀ u ≥ 0 is at most λ_max, and reaches it as the run converges).
  const scale = new DeviceScale(batch);
  return {
    step(input) {
      const out = tf.tidy(() => {
        const { alpha, w: raw } = residual(input);
        if (input.last) return { alpha };
        const w = tf.sub(raw, scaleRows(alpha, input.u)) as tf.Tensor3D;
        const beta = tf.sqrt(tf.sum(tf.square(w), -1, true)) as tf.Tensor3D;
        const s = tf.maximum(scale.value, alpha) as tf.Tensor3D;
        // Arithmetic rather than tf.where: fewer kernels per step, and a
        // NaN β (never ≤ anything) is no breakdown: it divides through and
        // keeps the row NaN.
        const broken = tf.cast(tf.lessEqual(beta, tf.mul(s, BREAKDOWN)), 'float32') as tf.Tensor3D;
        const kept = tf.sub(1, broken) as tf.Tensor3D;
        const inverse = tf.div(kept, tf.add(beta, broken)) as tf.Tensor3D;
        const u = tf.add(scaleRows(inverse, w), scaleRows(broken, input.restart())) as tf.Tensor3D;
        return { alpha, s, u, beta: tf.mul(beta, kept) as tf.Tensor3D };
      });
      if (!out.u || !out.beta || !out.s) return { pending: [out.alpha] };
      scale.replace(out.s);
      return { next: { u: out.u, beta: out.beta }, pending: [out.alpha, out.beta] };
    },
    select: (keep) => scale.select(keep),
    dispose: () => scale.dispose(),
  };
}

function hostSteps(batch: number, coefficients: LanczosCoefficients): GramSteps {
  // The scale per original map (see deviceSteps), in float64: the values are float32 α's, so the maximum is the same.
  const scale = new Float64Array(batch);
  return {
    step(input) {
      // One tidy for the whole step, reads included (dataSync is synchronous): an operator that throws frees
      // everything the step made, as the device form's does.
      const out = tf.tidy(() => {
        const { j, active } = input;
        const rows = active.length;
        const { alpha: alphaTensor, w: raw } = residual(input);
        const alpha = alphaTensor.dataSync();
        coefficients.write('alpha', active, j, alpha);
        if (input.last) return {};
        const w = tf.sub(raw, scaleRows(alphaTensor, input.u)) as tf.Tensor3D;
        const squares = tf.sum(tf.square(w), -1, true).dataSync();
        const inverse = new Float32Array(rows);
        const beta = new Float32Array(rows);
        let broken: Float32Array | null = null;
        for (let r = 0; r < rows; r++) {
          const b = active[r] as number;
          const a = alpha[r] as number;
          // tf.maximum's NaN: a NaN α makes the scale NaN, and then nothing is a breakdown (the row stays NaN).
          const s = maximum(scale[b] as number, a);
          scale[b] = s;
          const norm = Math.fround(Math.sqrt(squares[r] as number));
          if (norm <= breakdownThreshold(s)) {
            (broken ??= new Float32Array(rows))[r] = 1;
            // β·0, as the device form's β·kept: NaN for an infinite β (α = ∞ makes every β a breakdown).
            beta[r] = norm * 0;
          } else {
            inverse[r] = 1 / norm; // NaN stays NaN
            beta[r] = norm;
          }
        }
        coefficients.write('beta', active, j, beta);
        const scaled = scaleRows(tf.tensor3d(inverse, [rows, 1, 1]), w);
        const u = broken ? (tf.add(scaled, scaleRows(tf.tensor3d(broken, [rows, 1, 1]), input.restart())) as tf.Tensor3D) : scaled;
        return { u, beta: tf.tensor3d(beta, [rows, 1, 1]) };
      });
      return out.u && out.beta ? { next: { u: out.u, beta: out.beta }, pending: [] } : { pending: [] };
    },
    select() {
      // The scale is kept by original map index: nothing moves.
    },
    dispose() {},
  };
}
