import * as tf from '@tensorflow/tfjs-core';
import type { LanczosCoefficients } from './lanczos-coefficients.js';
import { breakdownThreshold, DeviceScale, maximum, type LanczosScalars, type LanczosSteps } from './lanczos-scalars.js';
import type { BatchedOperator } from './operator.js';
import { normaliseRows, orthogonalise, rowNorm, safeReciprocal, scaledRowNorm, scaleRows, stepScale } from './rows.js';

/**
 * One Golub–Kahan step of the batched Lanczos (lanczos.ts), in the two
 * forms of lanczos-scalars.ts, which compute the same numbers:
 *
 *   u_j = (J v_j − β_{j−1} u_{j−1}) / α_j
 *   v_{j+1} = (Jᵀ u_j − α_j v_j) / β_j
 *
 * Both norms are taken of the rows divided by the step's scale hint first
 * (see StepScale in rows.ts), the first step's by a max-reduction.
 *
 * - 'device': the step's scale, both norms' square roots, the breakdown
 *   tests and the normalisations are 48 kernels besides the operator's,
 *   most of them on [rows, 1, 1] tensors (60 at the first step); α and β
 *   wait on the device for the next check.
 * - 'host': the two sums of squares are read as they are made (two reads a
 *   step) and the rest is done in JS: 12 kernels (25 at the first step).
 */
export interface GolubKahanInput {
  /** The operator on the rows still running. */
  current: BatchedOperator;
  v: tf.Tensor3D;
  uPrev: tf.Tensor3D;
  /** β_{j−1} per row [rows, 1, 1] (0 at the first step or after a breakdown). */
  betaPrev: tf.Tensor3D;
  /** Both Krylov bases so far [rows, j, n] when they are kept (full re-orthogonalisation), else undefined. */
  vBasis: tf.Tensor3D | undefined;
  uBasis: tf.Tensor3D | undefined;
  keepBasis: boolean;
  /** Step index j (0-based). */
  j: number;
  /** The run's last step: no v_{j+1}. */
  last: boolean;
  /** Original map index of each row. */
  active: number[];
  /** The seeded restart direction for this step's breakdowns [1, 1, n]. */
  restart: () => tf.Tensor3D;
}

export interface GolubKahanOutput {
  u: tf.Tensor3D;
  /** The bases with this step's vectors appended, when they are kept. */
  vBasis?: tf.Tensor3D;
  uBasis?: tf.Tensor3D;
  /** v_{j+1} and β_j [rows, 1, 1]; absent at the last step. */
  next?: { v: tf.Tensor3D; beta: tf.Tensor3D };
  /** Coefficients still on the device, α_j then β_j, for the next check to read; the host form records them at once. */
  pending: tf.Tensor3D[];
}

export type GolubKahanSteps = LanczosSteps<GolubKahanInput, GolubKahanOutput>;

export function golubKahanSteps(scalars: LanczosScalars, batch: number, coefficients: LanczosCoefficients): GolubKahanSteps {
  return scalars === 'host' ? hostSteps(batch, coefficients) : deviceSteps(batch);
}

/** The restart rows for a breakdown: the seeded direction, made orthogonal to the kept basis when there is one. */
function restartRows(input: GolubKahanInput, vb: tf.Tensor3D | undefined): tf.Tensor3D {
  const restart = input.restart();
  if (!vb) return restart;
  const rows = input.active.length;
  const r = orthogonalise(scaleRows(tf.ones([rows, 1, 1]), restart), vb);
  return scaleRows(safeReciprocal(rowNorm(r)), r);
}

const appendTo = (basis: tf.Tensor3D | undefined, row: tf.Tensor3D) => (basis ? tf.concat([basis, row], 1) : tf.clone(row));

/** J v_j − β_{j−1} u_{j−1}, orthogonalised against the kept left basis; and the right basis with v_j appended. */
function leftResidual(input: GolubKahanInput): { p: tf.Tensor3D; vb: tf.Tensor3D | undefined } {
  const { current, v, uPrev, betaPrev, vBasis, uBasis, keepBasis } = input;
  const vb = keepBasis ? appendTo(vBasis, v) : undefined;
  const p = tf.sub(current.apply(v), scaleRows(betaPrev, uPrev)) as tf.Tensor3D;
  return { p: orthogonalise(p, uBasis), vb };
}

/** Jᵀ u_j − α_j v_j, orthogonalised against the right basis. */
function rightResidual(input: GolubKahanInput, u: tf.Tensor3D, alpha: tf.Tensor3D, vb: tf.Tensor3D | undefined): tf.Tensor3D {
  const q = tf.sub(input.current.applyTranspose(u), scaleRows(alpha, input.v)) as tf.Tensor3D;
  return orthogonalise(q, vb);
}


function deviceSteps(batch: number): GolubKahanSteps {
  // The largest coefficient so far per map: the scale both norms of a step divide by.
  const scale = new DeviceScale(batch);
  return {
    step(input) {
      const out = tf.tidy(() => {
        const { p, vb } = leftResidual(input);
        // The first step knows nothing of the scale (a max-reduction finds it).
        let a: tf.Tensor3D;
        let stepScaleOf: ReturnType<typeof stepScale>;
        if (input.j === 0) {
          a = rowNorm(p);
          stepScaleOf = stepScale(tf.maximum(scale.value, a) as tf.Tensor3D);
        } else {
          stepScaleOf = stepScale(scale.value);
          a = scaledRowNorm(p, stepScaleOf);
        }
        let s = tf.maximum(scale.value, a) as tf.Tensor3D;
        const { unit: u, coefficient: alpha } = normaliseRows(p, a, stepScaleOf, null);
        const ub = input.keepBasis ? appendTo(input.uBasis, u) : undefined;
        if (input.last) return { u, alpha, s, vb, ub };
        const q = rightResidual(input, u, alpha, vb);
        const b = scaledRowNorm(q, stepScaleOf);
        s = tf.maximum(s, b) as tf.Tensor3D;
        const { unit: v, coefficient: beta } = normaliseRows(q, b, stepScaleOf, restartRows(input, vb));
        return { u, alpha, s, vb, ub, v, beta };
      });
      scale.replace(out.s);
      const bases = { ...(out.vb ? { vBasis: out.vb } : {}), ...(out.ub ? { uBasis: out.ub } : {}) };
      if (!out.v || !out.beta) return { u: out.u, ...bases, pending: [out.alpha] };
      return { u: out.u, ...bases, next: { v: out.v, beta: out.beta }, pending: [out.alpha, out.beta] };
    },
    select: (keep) => scale.select(keep),
    dispose: () => scale.dispose(),
  };
}


/**
 * A step's scale per row as StepScale (rows.ts) makes it on the device:
 * hint = scale + (scale ≤ 0 ? 1 : 0) (NaN stays NaN), its float32
 * reciprocal, and the breakdown threshold BREAKDOWN·scale.
 */
class HostStepScale {
  readonly hint: Float64Array;
  readonly inverse: Float32Array;
  readonly threshold: Float64Array;

  constructor(scales: ArrayLike<number>) {
    const rows = scales.length;
    this.hint = new Float64Array(rows);
    this.inverse = new Float32Array(rows);
    this.threshold = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const scale = scales[r] as number;
      const hint = scale <= 0 ? Math.fround(scale + 1) : scale;
      this.hint[r] = hint;
      this.inverse[r] = 1 / hint;
      this.threshold[r] = breakdownThreshold(scale);
    }
  }

  /** ‖row‖ as scaledRowNorm makes it from the rows' sums of (x·inverse)²: √ then ·hint, each rounded to float32. */
  norms(squares: ArrayLike<number>): Float64Array {
    const out = new Float64Array(squares.length);
    for (let r = 0; r < out.length; r++) out[r] = Math.fround(Math.fround(Math.sqrt(squares[r] as number)) * (this.hint[r] as number));
    return out;
  }

  /** Per row, as normaliseRows: the reciprocal to scale by (0 where the norm broke down), the coefficient, and the broken rows (null: none). */
  normalise(norms: Float64Array): { inverse: Float32Array; coefficient: Float32Array; broken: Float32Array | null } {
    const rows = norms.length;
    const inverse = new Float32Array(rows);
    const coefficient = new Float32Array(rows);
    let broken: Float32Array | null = null;
    for (let r = 0; r < rows; r++) {
      const norm = norms[r] as number;
      if (norm <= (this.threshold[r] as number)) {
        (broken ??= new Float32Array(rows))[r] = 1;
      } else {
        inverse[r] = 1 / norm; // NaN stays NaN
        coefficient[r] = norm;
      }
    }
    return { inverse, coefficient, broken };
  }
}

function hostSteps(batch: number, coefficients: LanczosCoefficients): GolubKahanSteps {
  // The largest coefficient so far per original map (see deviceSteps).
  const scale = new Float64Array(batch);
  /** Raises the active maps' scale to at least this step's norms. */
  const raise = (active: number[], norms: Float64Array) => {
    for (let r = 0; r < active.length; r++) {
      const b = active[r] as number;
      scale[b] = maximum(scale[b] as number, norms[r] as number);
    }
  };
  const scalesOf = (active: number[]) => {
    const out = new Float64Array(active.length);
    for (let r = 0; r < active.length; r++) out[r] = scale[active[r] as number] as number;
    return out;
  };
  const column = (values: Float32Array) => tf.tensor3d(values, [values.length, 1, 1]);
  /** Σ (x·inverse)² per row, read at once. */
  const sumOfSquares = (x: tf.Tensor3D, stepScale: HostStepScale) => tf.sum(tf.square(scaleRows(column(stepScale.inverse), x)), -1, true).dataSync();
  return {
    step(input) {
      // One tidy for the whole step, reads included (dataSync is synchronous): an operator that throws frees
      // everything the step made, as the device form's does.
      const out = tf.tidy(() => {
        const { j, active } = input;
        let stepScale = new HostStepScale(scalesOf(active));
        const { p, vb } = leftResidual(input);
        let a: Float64Array;
        if (j === 0) {
          // The first step's norm by the max-reduction; the step's scale includes it.
          a = Float64Array.from(rowNorm(p).dataSync());
          raise(active, a);
          stepScale = new HostStepScale(scalesOf(active));
        } else {
          a = stepScale.norms(sumOfSquares(p, stepScale));
          raise(active, a);
        }
        const alphaRows = stepScale.normalise(a);
        // A zero row where α broke down (normaliseRows without a fallback).
        const u = scaleRows(column(alphaRows.inverse), p);
        coefficients.write('alpha', active, j, alphaRows.coefficient);
        const ub = input.keepBasis ? appendTo(input.uBasis, u) : undefined;
        if (input.last) return { u, vb, ub };
        const q = rightResidual(input, u, column(alphaRows.coefficient), vb);
        const b = stepScale.norms(sumOfSquares(q, stepScale));
        raise(active, b);
        const betaRows = stepScale.normalise(b);
        const scaled = scaleRows(column(betaRows.inverse), q);
        const v = betaRows.broken ? (tf.add(scaled, scaleRows(column(betaRows.broken), restartRows(input, vb))) as tf.Tensor3D) : scaled;
        coefficients.write('beta', active, j, betaRows.coefficient);
        return { u, vb, ub, v, beta: column(betaRows.coefficient) };
      });
      const bases = { ...(out.vb ? { vBasis: out.vb } : {}), ...(out.ub ? { uBasis: out.ub } : {}) };
      return out.v && out.beta ? { u: out.u, ...bases, next: { v: out.v, beta: out.beta }, pending: [] } : { u: out.u, ...bases, pending: [] };
    },
    select() {
      // The scale is kept by original map index: nothing moves.
    },
    dispose() {},
  };
}
