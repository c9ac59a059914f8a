import * as tf from '@tensorflow/tfjs-core';
import { batchedLanczos, type LanczosSettings } from './lanczos.js';
import type { LanczosScalars } from './lanczos-scalars.js';
import type { BatchedOperator } from './operator.js';
import { readValues } from './reads-at-once.js';
import { selectRows, unitRowsOr } from './rows.js';

/**
 * What a run on J Jᵀ (gram-lanczos.ts, lobpcg.ts) does at its end: the
 * right singular vectors its caller wants from the left ones it kept, and
 * the maps whose σ left the range its squares hold measured again by
 * Golub–Kahan.
 *
 * Range: the squares live in float32 on the device. λ = σ² and the squared
 * entries summed in ‖w‖ (~σ⁴) stay normal for σ in about [1e-9, 1e9]; maps
 * whose σ falls outside [1e-8, 1e8] (or is NaN) are measured again by
 * Golub–Kahan, which holds only numbers of the size of σ (see lanczos.ts).
 */

/** σ outside this range is measured again by Golub–Kahan (see above). */
const RANGE = [1e-8, 1e8] as const;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Right vectors v = Jᵀu / ‖Jᵀu‖ from left vectors `left` [batch, 1, n] (not
 * disposed): one applyTranspose, the normalisation on the host. A zero map
 * keeps a zero row: the next start falls back to the seeded vector.
 */
export async function rightVectors(op: BatchedOperator, left: tf.Tensor3D): Promise<tf.Tensor3D> {
  const right = tf.tidy(() => op.applyTranspose(left));
  try {
    return tf.tensor3d(unitRowsOr(await readValues(right), op.size, null), [op.batch, 1, op.size]);
  } finally {
    right.dispose();
  }
}

/**
 * The maps whose σ in `sigma` is outside RANGE, NaN or 0 measured again by
 * Golub–Kahan (`scalars` its form): their σ is written into `sigma`, and
 * `vectors`, when given, comes back with their rows replaced (a new tensor;
 * the old one is disposed when it succeeds, and left to the caller when it
 * throws).
 */
export async function remeasureOutside(op: BatchedOperator, settings: LanczosSettings, scalars: LanczosScalars, sigma: Float64Array, vectors: tf.Tensor3D | undefined): Promise<tf.Tensor3D | undefined> {
  // NaN too: an overflow of the squares gives NaN here where Golub–Kahan gives the value (a map with NaN entries gives NaN again).
  // 0 too: squares below float32's smallest denormal (σ ≲ 1e-23) are exact zeros, a map Golub–Kahan measures as it is.
  const outside = range(op.batch).filter((b) => {
    const s = sigma[b] as number;
    return !(s >= RANGE[0] && s <= RANGE[1]);
  });
  return outside.length > 0 ? remeasure(op, settings, scalars, outside, sigma, vectors) : vectors;
}

/**
 * Golub–Kahan, in the same form (lanczos-scalars.ts), on the maps `rows` (σ out of the squares' range): their σ is
 * written into `sigma`; returns `vectors` with their rows replaced (a new
 * tensor, the old one disposed), or undefined when none were wanted.
 */
async function remeasure(op: BatchedOperator, settings: LanczosSettings, scalars: LanczosScalars, rows: number[], sigma: Float64Array, vectors: tf.Tensor3D | undefined): Promise<tf.Tensor3D | undefined> {
  const subset = op.select ? op.select(rows) : null;
  const picked = subset ? rows : range(op.batch);
  const start = settings.start ? selectRows(settings.start, picked) : undefined;
  try {
    const { start: _start, ...rest } = settings;
    const result = await batchedLanczos(subset ?? op, { ...rest, ...(start ? { start } : {}), vectors: vectors ? 'approximate' : 'none' }, scalars);
    const wanted = new Set(rows);
    picked.forEach((b, i) => {
      if (wanted.has(b)) sigma[b] = result.sigma[i] as number;
    });
    if (!vectors || !result.vectors) return vectors;
    const values = Float32Array.from(vectors.dataSync());
    const fresh = result.vectors.dataSync();
    const size = op.size;
    picked.forEach((b, i) => {
      if (wanted.has(b)) values.set(fresh.subarray(i * size, (i + 1) * size), b * size);
    });
    result.vectors.dispose();
    const replaced = tf.tensor3d(values, vectors.shape);
    vectors.dispose();
    return replaced;
  } finally {
    start?.dispose();
    subset?.dispose();
  }
}
