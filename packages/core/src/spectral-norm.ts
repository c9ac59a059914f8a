import * as tf from '@tensorflow/tfjs-core';
import { batchedLanczos, COLD_QUIET_CHECKS, WARM_MIX, type LanczosResult, type LanczosSettings } from './lanczos.js';
import { WARM_CHECK_EVERY, warmStop } from './warm-stop.js';
import { canRunOnGram, runLanczos } from './gram-lanczos.js';
import { denseOperator, type BatchedOperator } from './operator.js';
import { checkInteger, checkKnownKeys, checkNonNegative, checkShape } from './validate.js';

/**
 * ‖J‖₂, the largest singular value, of one matrix or of a batch of maps.
 *
 * Options (all optional):
 *
 * | option     | default          | meaning |
 * |------------|------------------|---------|
 * | iterations | min(size, 32)    | maximum Lanczos steps (Golub–Kahan's: one apply + one applyTranspose each; on J Jᵀ: one applyOuter, see gram-lanczos.ts); at `size` steps the Krylov space is complete and the result exact up to rounding. By default the maps still running at step 32 may take up to 64 steps (see lanczos.ts); an explicit `iterations` is a hard cap |
 * | tolerance  | 1e-6             | relative: from a cold start a map stops once its estimate moved by ≤ tolerance·σ between checks (every 4 steps) at four checks in a row (see COLD_QUIET_CHECKS in lanczos.ts); from a warm start, at the first check (every 2 steps; every 4 on J Jᵀ) where its Ritz residual bounds the error by tolerance·σ for a gap of 0.5% below σ², from step 12 on and once σ moved by ≤ tolerance·σ over 4 steps (see warm-stop.ts); 0 runs all `iterations` on every map whose estimate still moves |
 * | start      | seeded random    | start vectors [B, 1, n]; each is mixed with 1% of the seeded random vector (see WARM_MIX in lanczos.ts) |
 * | warm       | true with start  | whether `start` is a warm start (the previous call's vectors on slightly changed maps: the residual rule ends a map) or a cold guess, e.g. from the map's structure (four quiet checks, as from a random start, and checked against a second run from the seeded random start: see guessChecked) |
 * | seed       | 1                | seed of the start and restart vectors |
 *
 * Accuracy: float32 arithmetic on the device bounds the relative error at a
 * few 1e-7 in practice; on random Gaussian matrices up to n = 64 the tests
 * measure it against a float64 Jacobi SVD (see spectral-norm.test.ts).
 *
 * Non-finite entries give NaN for that map (never 0); the zero map gives 0.
 */
export interface SpectralNormOptions {
  iterations?: number;
  tolerance?: number;
  start?: tf.Tensor3D;
  seed?: number;
  warm?: boolean;
}

export interface SpectralNormWithVector {
  /** σ_max per map. */
  norms: number[];
  /** Top right-singular vectors as unit rows [B, 1, n]: ‖J v‖ = σ_max. The caller disposes. */
  vectors: tf.Tensor3D;
}

const KNOWN = ['iterations', 'tolerance', 'start', 'seed', 'warm'] as const;
const DEFAULT_MAX_ITERATIONS = 32;
/**
 * Steps the maps still running at step 32 may take by default. Why 64: a
 * SimpleRNN after 30 training steps has its top ten singular values within
 * 2%; from the structural start 48 steps leave the worst of 800 maps
 * 1.1e-4 short, 64 steps 1.5e-6 (bench/accuracy.mjs's maps, tolerance 0).
 */
const DEFAULT_STRAGGLER_ITERATIONS = 64;
const DEFAULT_TOLERANCE = 1e-6;
const CHECK_EVERY = 4;

function isOperator(x: unknown): x is BatchedOperator {
  const op = x as Partial<BatchedOperator> | null;
  return op != null && typeof op.apply === 'function' && typeof op.applyTranspose === 'function';
}

/** The operator for `x`, plus the tensor to free afterwards if one was made. */
function asOperator(fn: string, x: tf.Tensor | BatchedOperator): { op: BatchedOperator; owned?: tf.Tensor3D; single: boolean } {
  if (isOperator(x)) {
    if (!Number.isInteger(x.batch) || x.batch < 1 || !Number.isInteger(x.size) || x.size < 1) {
      throw new Error(`${fn}: operator must have integer batch >= 1 and size >= 1, got batch ${x.batch}, size ${x.size}`);
    }
    return { op: x, single: false };
  }
  if (!(x instanceof tf.Tensor)) {
    throw new Error(`${fn}: expected a tensor [n, n] or [B, n, n] or a BatchedOperator, got ${String(x)}`);
  }
  if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== x.shape[x.rank - 2] || x.size === 0) {
    throw new Error(`${fn}: expected a square matrix [n, n] or batch [B, n, n], got shape [${x.shape.join(', ')}]`);
  }
  if (x.dtype !== 'float32') {
    throw new Error(`${fn}: expected a float32 tensor, got dtype ${x.dtype}`);
  }
  if (x.rank === 2) {
    const owned = tf.expandDims(x, 0) as tf.Tensor3D;
    return { op: denseOperator(owned), owned, single: true };
  }
  return { op: denseOperator(x as tf.Tensor3D), single: false };
}

/** The batchedLanczos settings that spectralNorm and its variants run with (exported for the tests). */
export function spectralNormSettings(fn: string, op: BatchedOperator, options: SpectralNormOptions, vectors: 'none' | 'exact' | 'approximate'): LanczosSettings {
  checkKnownKeys(fn, options, KNOWN);
  const iterations = checkInteger(fn, 'iterations', options.iterations ?? Math.min(op.size, DEFAULT_MAX_ITERATIONS), 1);
  const tolerance = checkNonNegative(fn, 'tolerance', options.tolerance ?? DEFAULT_TOLERANCE);
  const seed = checkInteger(fn, 'seed', options.seed ?? 1, 0, 2 ** 32 - 1);
  if (options.start !== undefined) checkShape(fn, 'option start', options.start.shape, [op.batch, 1, op.size]);
  const stragglerIterations = options.iterations === undefined ? Math.min(op.size, DEFAULT_STRAGGLER_ITERATIONS) : iterations;
  // A given start keeps a share of the seeded vector: it cannot inherit a paused estimate (see WARM_MIX).
  const start = options.start !== undefined ? { start: options.start, startMix: WARM_MIX } : {};
  if (options.warm !== undefined && typeof options.warm !== 'boolean') throw new Error(`${fn}: option warm must be true or false, got ${String(options.warm)}`);
  const warm = options.start !== undefined && options.warm !== false;
  const base = { iterations, stragglerIterations, tolerance, seed, ...start, vectors };
  if (!warm) return { ...base, checkEvery: CHECK_EVERY, quietChecks: COLD_QUIET_CHECKS };
  // A warm start stops on the residual of its Ritz pair (see warm-stop.ts),
  // checked every WARM_CHECK_EVERY steps where a step costs more than a
  // check; on J Jᵀ (gram-lanczos.ts), whose steps are cheap, every CHECK_EVERY.
  const checkEvery = canRunOnGram(op, { ...base, checkEvery: CHECK_EVERY }) ? CHECK_EVERY : WARM_CHECK_EVERY;
  return { ...base, checkEvery, warmStop: warmStop(tolerance) };
}

/**
 * Runs `lanczos` with the settings for `options`; a cold guess (a start with
 * `warm: false`) is checked by a second run from the seeded random start,
 * and per map the larger estimate is kept, with its vector (both are lower
 * bounds of σ_max).
 *
 * Why: a guess can be almost orthogonal to the top singular vector, and
 * then the run settles on σ₂. One Adam step after an orthogonal SimpleRNN's
 * initialisation, the unit with the largest φ' (cells/simple-rnn.ts's
 * structural start) no longer carries σ₁: on benchmark 2's model
 * (n = 128, T = 100) a map's guess had a component of 1.7e-3 along it, and
 * its estimate stayed 2.4e-3 short through 64 steps, with more quiet checks
 * or a floor of 48 steps alike. A random start always has a share of σ₁'s
 * vector; alone it is slower on the clusters the guess resolves (4e-4 short
 * on the untrained model). The better of the two left 3.2e-4 one step
 * after initialisation, 6.2e-6 after two, 5.3e-7 after 28 (the worst of
 * the per-step largest, smallest and mean ‖J_t‖ over the 8 probe
 * sequences, against float64; bench/RESULTS.md, seventeenth round). Cold
 * runs of a guessed start cost about twice the operator work; the monitor
 * measures cold once a run, after the first optimizer step, which is
 * where the guess fails.
 */
async function guessChecked(fn: string, op: BatchedOperator, options: SpectralNormOptions, vectors: 'none' | 'exact' | 'approximate', lanczos: (op: BatchedOperator, settings: LanczosSettings) => Promise<LanczosResult>): Promise<LanczosResult> {
  const settings = spectralNormSettings(fn, op, options, vectors);
  const first = await lanczos(op, settings);
  // A complete Krylov space (iterations ≥ size) is exact whatever the start: nothing to check.
  if (options.start === undefined || options.warm !== false || settings.iterations >= op.size) return first;
  const { start: _guess, warm: _warm, ...random } = options;
  let second: LanczosResult;
  try {
    second = await lanczos(op, spectralNormSettings(fn, op, random, vectors));
  } catch (error) {
    first.vectors?.dispose();
    throw error;
  }
  // NaN from either run stays NaN (a non-finite map gives NaN from any start).
  const better = Array.from(first.sigma, (x, i) => (second.sigma[i] as number) > x || Number.isNaN(second.sigma[i] as number));
  const sigma = Float64Array.from(first.sigma, (x, i) => (better[i] ? (second.sigma[i] as number) : x));
  let kept = first.vectors;
  if (first.vectors && second.vectors) {
    const [a, b] = [first.vectors, second.vectors];
    kept = tf.tidy(() => tf.where(tf.tensor3d(better.map(Number), [better.length, 1, 1], 'bool'), b, a)) as tf.Tensor3D;
    tf.dispose([a, b]);
  }
  const result = { sigma, steps: Math.max(first.steps, second.steps), work: first.work + second.work };
  return kept ? { ...result, vectors: kept } : result;
}

export function spectralNorm(x: tf.Tensor2D, options?: SpectralNormOptions): Promise<number>;
export function spectralNorm(x: tf.Tensor3D | BatchedOperator, options?: SpectralNormOptions): Promise<number[]>;
export function spectralNorm(x: tf.Tensor | BatchedOperator, options?: SpectralNormOptions): Promise<number | number[]>;
/**
 * The spectral norm of a matrix [n, n] (→ number), of each matrix of a batch
 * [B, n, n] or of each map of a BatchedOperator (→ number[]). Matrix-free:
 * only `apply` and `applyTranspose` are used, all B maps advance together.
 */
export async function spectralNorm(x: tf.Tensor | BatchedOperator, options: SpectralNormOptions = {}): Promise<number | number[]> {
  const fn = 'spectralNorm';
  const { op, owned, single } = asOperator(fn, x);
  try {
    const result = await guessChecked(fn, op, options, 'none', runLanczos);
    const norms = Array.from(result.sigma);
    return single ? (norms[0] as number) : norms;
  } finally {
    owned?.dispose();
  }
}

/**
 * As spectralNorm, and also the top right-singular vector v of each map
 * (J v = σ u). Always batch-shaped: a single matrix gives norms of length 1
 * and vectors [1, 1, n]. Keeps the Krylov basis (memory B·iterations·n
 * floats, twice) and re-orthogonalises it fully, so it is meant for modest
 * batches such as the S maps of one time step.
 */
export async function spectralNormWithVector(
  x: tf.Tensor | BatchedOperator,
  options: SpectralNormOptions = {},
): Promise<SpectralNormWithVector> {
  const fn = 'spectralNormWithVector';
  const { op, owned } = asOperator(fn, x);
  try {
    const result = await guessChecked(fn, op, options, 'exact', batchedLanczos);
    if (!result.vectors) throw new Error(`${fn}: internal error, Lanczos returned no vectors`);
    return { norms: Array.from(result.sigma), vectors: result.vectors };
  } finally {
    owned?.dispose();
  }
}

/**
 * As spectralNorm on a BatchedOperator, and also approximate top
 * right-singular vectors [B, 1, n] from the plain recurrence (no basis kept,
 * no re-orthogonalisation; see ritz-history.ts): cheap, and good enough to
 * warm-start the next call on slightly changed maps, e.g. the next training
 * step's Jacobians. The caller disposes `vectors`.
 */
export async function spectralNormWithWarmVector(op: BatchedOperator, options: SpectralNormOptions = {}): Promise<SpectralNormWithVector> {
  const fn = 'spectralNormWithWarmVector';
  asOperator(fn, op);
  const result = await guessChecked(fn, op, options, 'approximate', runLanczos);
  if (!result.vectors) throw new Error(`${fn}: internal error, Lanczos returned no vectors`);
  return { norms: Array.from(result.sigma), vectors: result.vectors };
}
