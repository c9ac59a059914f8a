import * as tf from '@tensorflow/tfjs-core';

/**
 * Row-wise arithmetic on blocks of row vectors [B, 1, n] with one scalar per
 * row [B, 1, 1], the inner loop of the batched Lanczos. Every helper here
 * runs once or twice per Lanczos step on the whole batch, so their kernel
 * counts and kernel choices are what the step costs beyond the operator.
 */

/**
 * s ⊙ w for per-row scalars s [B,1,1] and rows w [B,1,n] (or one row [1,1,n]
 * shared by the batch). The fastest kernel differs by backend: the cpu
 * backend's broadcasting multiply walks indices one by one (18 ms for
 * [800,1,1]·[800,1,256]) while a batched matMul with inner dimension 1 takes
 * 1.5 ms; on wasm it is the reverse (mul 0.05 ms, matMul 1 ms), and on
 * WebGL an elementwise shader is the natural choice too.
 */
export function scaleRows(s: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  return tf.getBackend() === 'cpu' ? tf.matMul(s, w) : tf.mul(s, w);
}

/**
 * 1/x where x > 0, 0 where x = 0; NaN stays NaN (so a NaN row stays NaN
 * downstream). A float32 denormal x (≈1e-39, rounding residue left after an
 * exact breakdown) has 1/x = ∞, and ∞·0 would make a finite row NaN: it
 * counts as 0 too.
 */
export function safeReciprocal(x: tf.Tensor3D): tf.Tensor3D {
  const inverse = tf.reciprocal(x);
  return tf.where(tf.logicalAnd(tf.greater(x, 0), tf.isFinite(inverse)), inverse, tf.mul(x, 0)) as tf.Tensor3D;
}

/**
 * ‖row‖₂ of a [B,1,n] block as [B,1,1], each row divided by its largest
 * entry first so that float32 squares neither overflow (entries > 1.8e19)
 * nor underflow (< 1e-19). A zero row has norm 0; NaN or ∞ entries give NaN
 * (0·NaN and 0·∞ are NaN). Costs a max-reduction (slow on wasm): used where
 * nothing is known about the scale yet (start vectors, the first step).
 */
export function rowNorm(w: tf.Tensor3D): tf.Tensor3D {
  const big = tf.max(tf.abs(w), -1, true) as tf.Tensor3D;
  return tf.mul(tf.sqrt(tf.sum(tf.square(scaleRows(safeReciprocal(big), w)), -1, true)), big) as tf.Tensor3D;
}

/**
 * Relative size below which a Lanczos coefficient counts as a breakdown. Far
 * below float32 rounding (~1e-7): a residual made of rounding noise is
 * normalised and continued, which Paige's analysis shows is harmless; only
 * (near-)exact zeros, which would give 0/0, are caught.
 */
export const BREAKDOWN = 1e-12;

/**
 * What one Lanczos step needs to know about each row's scale, made once per
 * step from the largest coefficient so far (`scale` [B,1,1]) and shared by
 * the step's two norms and two normalisations: every kernel here runs once
 * per step on the whole batch, and on wasm a kernel's fixed cost, not its
 * arithmetic, is what a step of 400–800 short rows pays for.
 *
 * - `hint`: the scale, or 1 where nothing but zeros has been seen yet;
 *   `inverse` = 1/hint.
 * - `threshold` = BREAKDOWN·scale: a coefficient at or below it is a
 *   breakdown (0 where the scale is 0: only an exact zero is one then).
 * - `zero`: zeros of the same shape, for tf.where without broadcasting.
 */
export interface StepScale {
  hint: tf.Tensor3D;
  inverse: tf.Tensor3D;
  threshold: tf.Tensor3D;
  zero: tf.Tensor3D;
}

export function stepScale(scale: tf.Tensor3D): StepScale {
  const hint = tf.add(scale, tf.cast(tf.lessEqual(scale, 0), 'float32')) as tf.Tensor3D;
  return { hint, inverse: tf.reciprocal(hint), threshold: tf.mul(scale, BREAKDOWN), zero: tf.zerosLike(scale) };
}

/**
 * ‖row‖₂ with each row divided by the step's scale hint first, so that no
 * max-reduction is needed: the hint (the largest coefficient so far) bounds
 * the row's size. Overflow would need a row 1e19 times larger than every
 * earlier coefficient of its map; underflow only hits rows below 1e-19 of
 * the scale, far under the breakdown level where the row is discarded.
 */
export function scaledRowNorm(w: tf.Tensor3D, scale: StepScale): tf.Tensor3D {
  return tf.mul(tf.sqrt(tf.sum(tf.square(scaleRows(scale.inverse, w)), -1, true)), scale.hint) as tf.Tensor3D;
}

/**
 * w / norm where norm is above the step's breakdown threshold; elsewhere the
 * `fallback` row ([B,1,n] or [1,1,n]; null: a zero row) and a zero
 * coefficient. A NaN norm is not a breakdown: it divides through and keeps
 * the row NaN.
 */
export function normaliseRows(
  w: tf.Tensor3D,
  norm: tf.Tensor3D,
  scale: StepScale,
  fallback: tf.Tensor3D | null,
): { unit: tf.Tensor3D; coefficient: tf.Tensor3D } {
  const broken = tf.lessEqual(norm, scale.threshold);
  const inverse = tf.where(broken, scale.zero, tf.reciprocal(norm)) as tf.Tensor3D;
  const unit = fallback ? tf.add(scaleRows(inverse, w), scaleRows(tf.cast(broken, 'float32') as tf.Tensor3D, fallback)) : scaleRows(inverse, w);
  return { unit: unit as tf.Tensor3D, coefficient: tf.where(broken, scale.zero, norm) as tf.Tensor3D };
}

/** w − (w Bᵀ) B, twice ("twice is enough", Kahan–Parlett), for an orthonormal row basis B [B, j, n]. */
export function orthogonalise(w: tf.Tensor3D, basis: tf.Tensor3D | undefined): tf.Tensor3D {
  if (basis === undefined) return w;
  let out = w;
  for (let pass = 0; pass < 2; pass++) {
    out = tf.sub(out, tf.matMul(tf.matMul(out, basis, false, true), basis));
  }
  return out;
}

/**
 * Rows `rows` of `t` along axis 0 (ascending or not), as a new tensor. On
 * the wasm and cpu backends the data already lives in host memory and a
 * row-by-row copy takes 0.4 ms where tf.gather takes 2 ms ([800,1,128] →
 * 490 rows, tfjs 4.22); elsewhere (WebGL) a download would stall the
 * pipeline, so tf.gather runs on the device.
 */
export function selectRows<T extends tf.Tensor>(t: T, rows: number[]): T {
  const backend = tf.getBackend();
  if ((backend !== 'wasm' && backend !== 'cpu') || t.dtype !== 'float32') return tf.gather(t, rows) as T;
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = t.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width), i * width));
  return tf.tensor(out, [rows.length, ...t.shape.slice(1)], 'float32') as T;
}

/**
 * Each length-`size` row of `values` made unit in float64 and rounded once
 * to float32, where its norm is positive and finite. Other rows: with a
 * `fallback` (a unit row), that row; without, a zero row stays zero and a
 * non-finite one becomes NaN. With `mix`, each unit row then gets
 * mix·fallback added and is made unit again (the warm start's seeded share,
 * see WARM_MIX in lanczos.ts); a sum that is zero or overflows takes the
 * fallback.
 *
 * Why on the host: the same on the device (rowNorm's scaling, a guarded
 * reciprocal, the fallback's blend) is about 30 kernels, ~1.6 ms on wasm
 * for 800 rows of 128, where this, with the read and the upload around it,
 * takes a fraction of that. Float64 squares of float32 entries neither
 * overflow nor underflow (at most ~1.2e77, at least ~2e-90): no scaling.
 * Float64 `values` are taken where the same holds of them (the seeded
 * Gaussian directions of the Lanczos pools, |x| < 40).
 */
export function unitRowsOr(values: Float32Array | Float64Array, size: number, fallback: Float32Array | null, mix = 0): Float32Array {
  const out = new Float32Array(values.length);
  const row = new Float64Array(size);
  for (let r = 0; r < values.length / size; r++) {
    const at = r * size;
    let ss = 0;
    for (let i = 0; i < size; i++) ss += (values[at + i] as number) ** 2;
    if (!(ss > 0 && ss < Infinity)) {
      if (fallback) out.set(fallback, at);
      else if (ss !== 0) out.fill(NaN, at, at + size);
      continue;
    }
    const len = Math.sqrt(ss);
    if (!fallback || mix === 0) {
      for (let i = 0; i < size; i++) out[at + i] = (values[at + i] as number) / len;
      continue;
    }
    let mixed = 0;
    for (let i = 0; i < size; i++) {
      const x = (values[at + i] as number) / len + mix * (fallback[i] as number);
      row[i] = x;
      mixed += x * x;
    }
    if (!(mixed > 0 && mixed < Infinity)) out.set(fallback, at);
    else for (let i = 0; i < size; i++) out[at + i] = (row[i] as number) / Math.sqrt(mixed);
  }
  return out;
}
