import * as tf from '@tensorflow/tfjs-core';
import type { JacobianSequence } from './operator.js';
import { factorBlocks } from './qr-kernel.js';
import { readValues } from './reads-at-once.js';
import { gaussianSource } from './random.js';
import { TopSingularValueTracker } from './small-svd.js';
import { spectralNormWithVector } from './spectral-norm.js';
import { checkInteger, checkKnownKeys, checkNonNegative, checkShape } from './validate.js';

/**
 * The one time-ordered pass shared by productNorms, lyapunovSpectrum and
 * analyzeSequence: k orthonormal directions pushed through J_1, J_2, … with
 * re-orthonormalisation (Benettin's QR method), never forming the product.
 *
 *   J_t Q_{t−1} = Q_t R_t          (thin QR, float64: qr-kernel.ts)
 *   J_t ⋯ J_1 Q_0 = Q_t M_t,  M_t = R_t ⋯ R_1   (k×k upper triangular)
 *
 * Q_t has orthonormal columns, so ‖J_t ⋯ J_1 Q_0‖₂ = σ_max(M_t). With k = n
 * and Q_0 orthogonal that is exactly ‖J_t ⋯ J_1‖₂; with k < n it is a lower
 * bound (the norm restricted to the k-dimensional start subspace), tight when
 * the product's top right-singular vector lies close to span(Q_0); the first
 * direction is J_1's top right-singular vector (found by a Lanczos run on
 * the S maps J_1, or given: analyzeSequence passes the per-step Lanczos's
 * estimate), so the bound is exact at t = 1 to the Lanczos tolerance.
 * M_t is rescaled to max entry 1 after every step with the log of the scale
 * kept separately, so ln‖·‖ stays finite when the product itself overflows
 * (‖J‖ = 1.5 over 2000 steps is e^811).
 *
 * The diagonal of R_t gives the finite-time Lyapunov exponents:
 * λ_i = (1/T) Σ_t ln R_ii(t).
 *
 * Per step: one batched apply on [S, k, n], one download, one upload.
 */

export interface PropagateOptions {
  /** Directions propagated; default min(n, 8). k = n makes logProduct exact. */
  k?: number;
  /** Seed of the random start directions and of the replacement of annihilated ones. Default 1. */
  seed?: number;
  /** Explicit start block Q_0 [S, k, n] (rows are orthonormalised); replaces the default start. */
  start?: tf.Tensor3D;
  /** Maximum Lanczos steps for J_1's top singular vector (see spectralNorm). */
  iterations?: number;
  /** Lanczos tolerance for J_1's top singular vector (see spectralNorm). */
  tolerance?: number;
}

export interface Propagation {
  /** Number of directions used. */
  k: number;
  /** ln σ_max(M_t) = ln‖J_t⋯J_1 Q_0‖₂ per sample, t = 1..T at index t−1 (exact for k = n, else a lower bound). */
  logProduct: number[][];
  /** ln R_ii(t) per sample, step and direction [S][T][k], in QR order. */
  logDiagonal: number[][][];
  /** Finite-time Lyapunov exponents per sample [S][k], natural log per step, sorted descending. */
  ftle: number[][];
}

export const PROPAGATE_KEYS = ['k', 'seed', 'start', 'iterations', 'tolerance'] as const;
const DEFAULT_K = 8;

export function checkSequence(fn: string, seq: JacobianSequence): void {
  // A tensor of Jacobians is the likeliest mistake: say how to turn it into a sequence.
  if ((seq as unknown) instanceof tf.Tensor) {
    const shape = (seq as unknown as tf.Tensor).shape;
    throw new TypeError(
      `${fn}: takes a JacobianSequence, got a tf.Tensor of shape [${shape.join(', ')}]; wrap dense Jacobians ([T, n, n] or [S, T, n, n]) with denseSequence(tensor) and dispose the sequence after`,
    );
  }
  for (const key of ['samples', 'steps', 'size'] as const) {
    if (!Number.isInteger(seq?.[key]) || seq[key] < 1) {
      throw new Error(`${fn}: sequence.${key} must be an integer >= 1, got ${String(seq?.[key])}`);
    }
  }
}

/** Descending, with NaN first: a NaN exponent must stay visible at the top, not sort into an arbitrary place. */
export function sortDescending(values: number[]): number[] {
  return values.sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a === b ? 0 : a > b ? -1 : 1));
}

/**
 * The longest seeded Gaussian stream drawn so far, kept: every measurement
 * of a run starts from the same numbers, which cost 0.15 ms to draw for
 * S = k = 8, n = 64 and 0.6 ms for n = 256 (Box–Muller: a log, a square
 * root, a sine and a cosine per pair). A stream's prefix does not depend on
 * its length, so a shorter request is served from a longer one.
 */
let drawn: { seed: number; values: Float64Array } | undefined;

/** The first `length` numbers of gaussianSource(seed), in a fresh array. */
function gaussianBlock(seed: number, length: number): Float64Array {
  if (drawn === undefined || drawn.seed !== seed || drawn.values.length < length) {
    const next = gaussianSource(seed);
    const values = new Float64Array(length);
    for (let i = 0; i < length; i++) values[i] = next();
    drawn = { seed, values };
  }
  return new Float64Array(drawn.values.subarray(0, length));
}

/** The start block Q_0 as float64 [S, k, n] before orthonormalisation. */
async function startBlock(fn: string, seq: JacobianSequence, k: number, options: PropagateOptions, seed: number, warm: PropagateWarm): Promise<Float64Array> {
  const { samples, size } = seq;
  if (options.start !== undefined) {
    checkShape(fn, 'option start', options.start.shape, [samples, k, size]);
    return Float64Array.from(await options.start.data());
  }
  const block = gaussianBlock(seed, samples * k * size);
  if (warm.firstVector) {
    checkShape(fn, 'firstVector', warm.firstVector.shape, [samples, 1, size]);
    const top = await warm.firstVector.data();
    for (let s = 0; s < samples; s++) {
      for (let c = 0; c < size; c++) block[s * k * size + c] = top[s * size + c] as number;
    }
    return block;
  }
  const firstStart = warm.firstStart;
  const lanczosOptions = {
    ...(options.iterations !== undefined ? { iterations: options.iterations } : {}),
    ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
    seed,
    ...(firstStart ? { start: firstStart } : {}),
  };
  const { vectors } = await spectralNormWithVector(seq.step(0), lanczosOptions);
  const top = await vectors.data();
  vectors.dispose();
  for (let s = 0; s < samples; s++) {
    for (let c = 0; c < size; c++) block[s * k * size + c] = top[s * size + c] as number;
  }
  return block;
}

/**
 * The block as a float32 tensor, through one staging array reused for every
 * step instead of a fresh Float32Array per step (16–64 KB each, whose
 * allocation and collection cost ~60 µs a step on wasm: 4 → 0.8 ms of a
 * 50-step SimpleRNN n = 64 propagation). Safe to overwrite at the next
 * step: every backend has consumed the values by then — wasm copies them
 * into its heap here, WebGL and WebGPU copy them into a texture or buffer
 * when the apply uses them, and the cpu backend, which keeps the array
 * itself, has had the tensor disposed (and the apply's output read) before
 * the next upload.
 */
function upload(q: Float64Array, staging: Float32Array, shape: [number, number, number]): tf.Tensor3D {
  staging.set(q);
  return tf.tensor3d(staging, shape);
}

/** Where the first direction comes from when the caller already knows something about J_1. */
export interface PropagateWarm {
  /** [S, 1, n]: start the Lanczos search for J_1's top right-singular vector here. */
  firstStart?: tf.Tensor3D;
  /**
   * [S, 1, n]: J_1's top right-singular vectors, already found (e.g. by the
   * per-step Lanczos over every J_t): used as the first direction as they
   * are, with no Lanczos run of its own. Rows that are zero are replaced by
   * random directions in the QR.
   */
  firstVector?: tf.Tensor3D;
}

/**
 * `warm.firstStart` [S, 1, n]: where the Lanczos search for J_1's top right
 * singular vector starts (e.g. the previous measurement's); the result is
 * the same vector to within the Lanczos tolerance, found in fewer steps.
 */
export async function propagateProduct(seq: JacobianSequence, options: PropagateOptions = {}, warm: PropagateWarm = {}): Promise<Propagation> {
  const fn = 'propagateProduct';
  checkSequence(fn, seq);
  checkKnownKeys(fn, options, PROPAGATE_KEYS);
  const { samples, steps, size } = seq;
  const k = checkInteger(fn, 'k', options.k ?? Math.min(size, DEFAULT_K), 1, size);
  const seed = checkInteger(fn, 'seed', options.seed ?? 1, 0, 2 ** 32 - 1);
  if (options.iterations !== undefined) checkInteger(fn, 'iterations', options.iterations, 1);
  if (options.tolerance !== undefined) checkNonNegative(fn, 'tolerance', options.tolerance);

  const fresh = gaussianSource(seed ^ 0x5bd1e995);
  const q = new Float64Array(samples * k * size);
  const r = new Float64Array(samples * k * k);
  factorBlocks(await startBlock(fn, seq, k, options, seed, warm), samples, k, size, q, r, fresh);

  // Per sample: the normalised product M (k×k), its log scale, and the σ_max tracker.
  const product = Array.from({ length: samples }, () => {
    const m = new Float64Array(k * k);
    for (let i = 0; i < k; i++) m[i * k + i] = 1;
    return m;
  });
  const logScale = new Float64Array(samples);
  const trackers = Array.from({ length: samples }, () => new TopSingularValueTracker(k));
  const logProduct = Array.from({ length: samples }, () => new Array<number>(steps));
  const logDiagonal = Array.from({ length: samples }, () => Array.from({ length: steps }, () => new Array<number>(k)));
  const next = new Float64Array(k * k);
  // One float32 staging array for every upload (see upload()).
  const staging = new Float32Array(samples * k * size);

  let block: tf.Tensor3D = upload(q, staging, [samples, k, size]);
  try {
    for (let t = 0; t < steps; t++) {
      const op = seq.step(t);
      if (op.batch !== samples || op.size !== size) {
        throw new Error(`${fn}: sequence.step(${t}) has batch ${op.batch}, size ${op.size}; expected ${samples}, ${size}`);
      }
      // tidy: an operator's intermediate tensors are freed here even if its apply does not tidy them itself.
      const current = block;
      const image = tf.tidy(() => op.apply(current));
      block.dispose();
      let y: ArrayLike<number>;
      try {
        // dataSync where it blocks nothing (readValues): 5 → 1.4 ms of a 50-step SimpleRNN n = 64 propagation on wasm.
        y = await readValues(image);
      } finally {
        image.dispose();
      }
      factorBlocks(y, samples, k, size, q, r, fresh);
      for (let s = 0; s < samples; s++) {
        const rs = s * k * k;
        const m = product[s] as Float64Array;
        const diag = (logDiagonal[s] as number[][])[t] as number[];
        for (let i = 0; i < k; i++) diag[i] = Math.log(r[rs + i * k + i] as number);
        // M ← R M, both upper triangular: entry (i, j) sums over i ≤ p ≤ j.
        let big = 0;
        let nan = false;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            let sum = 0;
            for (let p = i; p <= j; p++) sum += (r[rs + i * k + p] as number) * (m[p * k + j] as number);
            next[i * k + j] = sum;
            const a = Math.abs(sum);
            if (Number.isNaN(a)) nan = true;
            else if (a > big) big = a;
          }
        }
        if (nan) big = NaN;
        if (big > 0 && Number.isFinite(big)) {
          for (let i = 0; i < k * k; i++) m[i] = (next[i] as number) / big;
          logScale[s] = (logScale[s] as number) + Math.log(big);
        } else {
          // Zero product: stays zero (ln → −∞ for good). NaN/∞: stays non-finite.
          m.set(next);
          if (big !== 0) logScale[s] = NaN;
        }
        const sigma = (trackers[s] as TopSingularValueTracker).update(m);
        (logProduct[s] as number[])[t] = big === 0 ? -Infinity : Math.log(sigma) + (logScale[s] as number);
      }
      // The last step's Q is not applied again: no upload for it.
      if (t + 1 < steps) block = upload(q, staging, [samples, k, size]);
    }
  } finally {
    block.dispose();
  }

  const ftle = logDiagonal.map((perStep) => {
    const sums = new Array<number>(k).fill(0);
    for (const diag of perStep) for (let i = 0; i < k; i++) sums[i] = (sums[i] as number) + (diag[i] as number);
    return sortDescending(sums.map((x) => x / steps));
  });
  return { k, logProduct, logDiagonal, ftle };
}
