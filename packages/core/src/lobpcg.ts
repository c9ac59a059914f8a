import * as tf from '@tensorflow/tfjs-core';
import { remeasureOutside, rightVectors } from './gram-run-end.js';
import { COMPACT_FRACTION } from './lanczos-check.js';
import { startRows, type LanczosResult, type LanczosSettings } from './lanczos.js';
import type { WarmStop } from './warm-stop.js';
import { LOBPCG_KERNEL_BASE64 } from './lobpcg-kernel-bytes.js';
import { FactoredOuter, floats } from './factored-outer.js';
import type { BatchedOperator, OuterFactors } from './operator.js';
import { gaussianArray } from './random.js';
import { topRitzPair, type RitzPair } from './rayleigh-ritz.js';
import { readsAtOnce, readValues } from './reads-at-once.js';
import { BREAKDOWN, unitRowsOr } from './rows.js';
import { align8, borrowKernel, reserve, type KernelExports } from './wasm-kernel.js';

/**
 * The warm per-step run on J Jᵀ by a preconditioned block method (LOBPCG,
 * Knyazev 2001) for operators that give J Jᵀ in factored form
 * (BatchedOperator.outerFactors): per map the top eigenpair (θ = σ², x) of
 * J Jᵀ, from the previous measurement's vector, by Rayleigh–Ritz on the
 * span of x, the preconditioned residual
 *
 *   w = (Ax − θx) / max(θ − diag(J Jᵀ), PRECONDITIONER_FLOOR·θ)
 *
 * and the previous step p, one product (A w) per iteration.
 *
 * Why: a fresh SimpleRNN's J Jᵀ = D (Rᵀ R) D is almost diagonal, with the
 * largest φ′² of many units within a fraction of a percent of each other.
 * The Lanczos (gram-lanczos.ts) cannot tell that cluster apart in fewer
 * than ~26 products per map; the correction divides each unit's residual by
 * how far its diagonal entry is from θ and points at the top unit. Six
 * training steps from initialisation, on 800 maps of n = 128: 14.6
 * products per map, and the whole measurement in 0.73–0.86 of the time it
 * takes with the Lanczos; sixty steps in, where both stop at the floor of
 * 12, 0.90–0.98 (side by side in one process and in benchmark 2:
 * bench/RESULTS.md, thirty-fourth round).
 *
 * The stopping rule is the warm Lanczos's (warm-stop.ts), with products for
 * steps: a map leaves at the first iteration, from its WARM_MIN_STEPS-th
 * product on, where σ moved by at most tolerance·σ over the last
 * quietSpan iterations and ‖Ax − θx‖ ≤ residual·θ; at the Lanczos's step
 * cap it leaves as it is. A map whose θ is NaN leaves at once. The floor
 * keeps starts that are σ₂'s vector off σ₂ as it does for the Lanczos
 * (lobpcg.test.ts runs lanczos-warm-stall.test.ts's maps; floors of 8 and
 * below left maps there on σ₂).
 *
 * Where it differs from the Lanczos: a start that is σ₂'s vector, with σ₁
 * within about 0.1% above, can stay on σ₂. The pull towards σ₁ in the
 * residual (the start's share of v₁ times λ₁ − λ₂) is then below the
 * float32 rounding of the products, and the block has nothing to follow;
 * the Lanczos, once σ₂ has converged, goes on from that rounding as from a
 * random vector and finds σ₁ within its floor. A review measured it on 16
 * maps (n = 128, the start v₂ exactly, the 1% seeded share its only σ₁):
 * σ₂ at 0.999–0.9997 of σ₁, one map left up to 1e-3 low (the Lanczos none);
 * at 0.9999, 8 (the Lanczos 2); at 0.998 and below, none. A start with no
 * seeded share (startMix 0) stays on σ₂ at any gap. The monitor's chains,
 * where such starts come from singular values that cross between training
 * steps, miss less often but further: over five training steps from a
 * fresh SimpleRNN n = 128, the worst map 1.0e-6 low against the Lanczos's
 * 6.0e-4 (from 30 training steps on, 1.7e-6 against 1.0e-6); a review's
 * 32,000 maps (8 seeds, 5 training steps, Adam at 1e-3 and 1e-2, each map
 * from the same start both ways) left 7 maps more than 1e-5 low with the
 * block, the worst 1.1e-2 (a start holding 0.064 of v₁, σ₂ 1.1% below σ₁:
 * the preconditioner drove that share down before the residual fell under
 * the bound), and 82 with the Lanczos, the worst 3.9e-3.
 *
 * The block lives in a WebAssembly kernel's memory (lobpcg-kernel.wat), in
 * an instance lent to the run: the block's arithmetic and the product's
 * scalings run there, the backend makes only the product by G
 * (factored-outer.ts). The 3 × 3 Rayleigh–Ritz is rayleigh-ritz.ts.
 * Converged maps leave the block as the Lanczos's do (COMPACT_FRACTION), by
 * moving rows. At the end, as the Lanczos on J Jᵀ: the right vectors from
 * x, and maps outside the squares' range measured again by Golub–Kahan
 * (gram-run-end.ts).
 */

interface LobpcgKernel extends KernelExports {
  precondition(x: number, ax: number, w: number, diag: number, theta: number, shift: number, floor: number, rr: number, rows: number, n: number): void;
  grams(x: number, w: number, p: number, ax: number, aw: number, ap: number, g: number, rows: number, n: number): void;
  combine(x: number, w: number, p: number, ax: number, aw: number, ap: number, coef: number, rows: number, n: number): void;
  orthonormalizeP(x: number, p: number, ax: number, ap: number, rows: number, n: number): void;
  orthonormalizeW(x: number, p: number, w: number, rows: number, n: number): void;
  scaleRows(v: number, s: number, out: number, rows: number, n: number): void;
  finishOuter(y: number, v: number, s: number, iota: number, rows: number, n: number): void;
}

/**
 * Floor of the preconditioner's denominator θ − diag(J Jᵀ), relative to θ:
 * units whose diagonal entry is at or above θ get the largest weight, not
 * an infinite or negative one. 1e-2 and 1e-4 gave the same iterations on
 * the thirty-third round's maps.
 */
export const PRECONDITIONER_FLOOR = 1e-3;

/** Seeded directions a run keeps for residuals at the breakdown level (see run), used in turn. */
const POOL = 16;

/** Rows of the block the kernel holds, in the order of its memory. */
const ROWS = ['x', 'ax', 'w', 'aw', 'p', 'ap', 'diag', 'scale', 'stage'] as const;

/** Byte offsets of a block of `rows` maps of size n in the kernel's memory. */
function layout(rows: number, n: number) {
  const block = align8(rows * n * 4);
  const at = Object.fromEntries(ROWS.map((name, i) => [name, i * block])) as Record<(typeof ROWS)[number], number>;
  const theta = ROWS.length * block;
  const iota = theta + align8(rows * 4);
  const shift = iota + align8(rows * 4);
  const floor = shift + align8(rows * 4);
  const rr = floor + align8(rows * 4);
  const grams = rr + rows * 8;
  const coef = grams + rows * 96;
  return { ...at, theta, iota, shift, floor, rr, grams, coef, end: coef + rows * 24 };
}

/**
 * Whether a run with `settings` on `op` takes this method: a warm start, an
 * operator with outerFactors, n a multiple of 4 (the kernel's
 * lanes), and a backend whose reads block nothing (the block lives on the
 * host; reads-at-once.ts). The caller checks the run can be one on J Jᵀ at
 * all (gram-lanczos.ts's canRunOnGram).
 */
export function lobpcgServes(op: BatchedOperator, settings: LanczosSettings): boolean {
  return settings.warmStop !== undefined && settings.start !== undefined && typeof op.outerFactors === 'function' && op.size % 4 === 0 && readsAtOnce();
}

/** What leaveSettled reads and writes besides the block's rows. */
interface StopState {
  /** σ and the unit left vector of every map that left, by original index. */
  sigma: Float64Array;
  vectors: Float32Array;
  n: number;
  span: number;
  recent: Float64Array;
  tolerance: number;
  cap: number;
  minSteps: number;
  residual: number;
  /** The iteration at which the last map left. */
  last: number;
}

/**
 * Marks the rows that leave at this iteration (see the run's stopping rule
 * above) and notes their σ and x; returns how many rows have left in all.
 * rr[r] is ‖Ax − θx‖² of row r.
 */
function leaveSettled(state: StopState, products: number, rows: number, active: number[], left: Uint8Array, theta: Float64Array, rr: Float64Array, x: Float32Array): number {
  const { sigma, vectors, n, span, recent, tolerance, cap, minSteps, residual } = state;
  const length = span + 1;
  let leaving = 0;
  for (let r = 0; r < rows; r++) {
    if (left[r]) {
      leaving++;
      continue;
    }
    const t = theta[r] as number;
    const s = Math.sqrt(Math.max(0, t));
    const b = active[r] as number;
    // Every map runs from the first iteration, so its history holds min(products, span + 1) values.
    const quiet = span === 0 || (products >= length && Math.abs(s - (recent[b * length + ((products - span) % length)] as number)) <= tolerance * s);
    recent[b * length + (products % length)] = s;
    const done = Number.isNaN(t) || products >= cap || (products >= minSteps && quiet && Math.sqrt(rr[r] as number) <= residual * t);
    if (!done) continue;
    sigma[b] = Number.isNaN(t) ? NaN : s;
    vectors.set(x.subarray(r * n, (r + 1) * n), b * n);
    left[r] = 1;
    leaving++;
    state.last = products;
  }
  return leaving;
}

/**
 * The Rayleigh–Ritz of every row: θ, and the combination's coefficients
 * (c0 c1 c2 for x, then c1 and c2 scaled to the new p's unit length, its
 * length from the Grams). A function of its own, as leaveSettled: V8
 * compiles such a loop by itself, not with the run's long async body.
 */
function ritzCoefficients(grams: Float64Array, rows: number, theta: Float64Array, coef: Float32Array, pair: RitzPair): void {
  const k = pair.coefficients;
  for (let r = 0; r < rows; r++) {
    const g = r * 12;
    topRitzPair(grams, g, pair);
    const c0 = k[0] as number;
    const c1 = k[1] as number;
    const c2 = k[2] as number;
    theta[r] = pair.lambda;
    const squares = c1 * c1 * (grams[g + 3] as number) + 2 * c1 * c2 * (grams[g + 4] as number) + c2 * c2 * (grams[g + 5] as number);
    const unit = squares > 0 && Number.isFinite(squares) ? 1 / Math.sqrt(squares) : 0;
    const o = r * 6;
    coef[o] = c0;
    coef[o + 1] = c1;
    coef[o + 2] = c2;
    coef[o + 3] = c1 * unit;
    coef[o + 4] = c2 * unit;
  }
}

/** The run; null where the kernel cannot run here or its memory cannot grow to the batch (the caller runs the Lanczos). */
export async function lobpcg(op: BatchedOperator, settings: LanczosSettings): Promise<LanczosResult | null> {
  const warm = settings.warmStop;
  if (!warm || !lobpcgServes(op, settings)) throw new Error('lobpcg: not a warm run on an operator with outerFactors (see lobpcgServes)');
  const { batch, size: n } = op;
  const at = layout(batch, n);
  const lent = borrowKernel<LobpcgKernel>(LOBPCG_KERNEL_BASE64);
  if (!lent) return null;
  try {
    return await run(op, settings, warm, lent.kernel, at);
  } finally {
    lent.release();
  }
}

async function run(op: BatchedOperator, settings: LanczosSettings, warm: WarmStop, kernel: LobpcgKernel, at: ReturnType<typeof layout>): Promise<LanczosResult | null> {
  if (!reserve(kernel.memory, at.end)) return null;
  const { batch, size: n } = op;
  const f32 = (offset: number, length: number) => floats(kernel.memory, offset, length);
  const regular = Math.min(settings.iterations, n);
  const cap = Math.max(regular, Math.min(settings.stragglerIterations ?? regular, n));
  const span = Math.max(0, warm.quietSpan);
  // The Lanczos's seeded start (the fallback for rows that are zero or not finite, and the warm start's share), then
  // the directions that stand in for a residual at the breakdown level, one per iteration, POOL of them in turn.
  const pool = unitRowsOr(gaussianArray((POOL + 1) * n, settings.seed), n, null);
  const seeded = pool.subarray(0, n);

  // x = J v as unit rows (v the start with its share of the seeded vector), and the diagonal.
  const start = tf.tensor3d(await startRows(settings, batch, n, seeded), [batch, 1, n]);
  let applied: tf.Tensor3D;
  try {
    applied = tf.tidy(() => op.apply(start));
  } finally {
    start.dispose();
  }
  try {
    f32(at.x, batch * n).set(unitRowsOr(await readValues(applied), n, seeded));
  } finally {
    applied.dispose();
  }
  // In a tidy, as apply above: what an operator makes before it throws is freed (tidy keeps the tensors returned
  // in an object; OuterFactors' null is no tensor).
  const factors = tf.tidy(() => op.outerFactors!() as unknown as tf.TensorContainer) as unknown as OuterFactors;
  const outer = await FactoredOuter.load(factors, kernel, at, at.diag, batch, n);
  const product = (from: number, into: number, rows: number) => outer.product(from, into, rows);
  // G is freed once the iterations end (the end's products are the operator's own) or when one throws.
  let disposed = false;

  try {
    product(at.x, at.ax, batch);
    // No w and p yet: zero rows, which the Rayleigh–Ritz leaves out. θ = x·Ax is the Grams' seventh number.
    for (const name of ['w', 'aw', 'p', 'ap'] as const) f32(at[name], batch * n).fill(0);
    kernel.grams(at.x, at.w, at.p, at.ax, at.aw, at.ap, at.grams, batch, n);
    const initial = new Float64Array(kernel.memory.buffer, at.grams, batch * 12);
    let theta = Float64Array.from({ length: batch }, (_, r) => initial[r * 12 + 6] as number);
    let rows = batch;
    let active = Array.from({ length: batch }, (_, i) => i);
    let left = new Uint8Array(batch);
    const sigma = new Float64Array(batch).fill(NaN);
    const vectors = new Float32Array(batch * n);
    const stop: StopState = {
      sigma,
      vectors,
      n,
      span,
      // σ at each of the last span + 1 iterations, per map: a ring indexed by the iteration.
      recent: new Float64Array(batch * (span + 1)),
      tolerance: settings.tolerance,
      cap,
      minSteps: warm.minSteps,
      residual: warm.residual,
      last: 0,
    };
    const pair: RitzPair = { lambda: NaN, coefficients: new Float64Array(3) };
    let work = batch;
    let steps = 1;

    for (let products = 1; ; products++) {
      const thetaF = f32(at.theta, rows);
      const shift = f32(at.shift, rows);
      const floor = f32(at.floor, rows);
      for (let r = 0; r < rows; r++) {
        const t = theta[r] as number;
        // θ ≤ 0 (a zero map) or not finite: an unscaled residual instead of a preconditioned one.
        const usable = t > 0 && Number.isFinite(t);
        thetaF[r] = usable ? t : 0;
        shift[r] = usable ? t : 1;
        floor[r] = usable ? PRECONDITIONER_FLOOR * t : 1;
      }
      kernel.precondition(at.x, at.ax, at.w, at.diag, at.theta, at.shift, at.floor, at.rr, rows, n);
      const rr = new Float64Array(kernel.memory.buffer, at.rr, rows);
      const x = f32(at.x, rows * n);
      // A residual at the breakdown level (x an eigenvector: J Jᵀ = I, a start in an invariant subspace, a zero map):
      // w would be nothing, and the block could not leave x's eigenvalue. There w is the seeded direction of this
      // iteration, as the Lanczos restarts from its pool.
      const w = f32(at.w, rows * n);
      for (let r = 0; r < rows; r++) {
        if (Math.sqrt(rr[r] as number) <= BREAKDOWN * Math.abs(theta[r] as number)) w.set(pool.subarray((1 + (products % POOL)) * n, (2 + (products % POOL)) * n), r * n);
      }
      const leaving = leaveSettled(stop, products, rows, active, left, theta, rr, x);
      steps = Math.max(steps, stop.last);
      if (leaving === rows) break;
      if (leaving >= COMPACT_FRACTION * rows) {
        const keep = active.flatMap((_, r) => (left[r] ? [] : [r]));
        // w too: this iteration's, made before the maps left (aw is made afresh).
        for (const name of ['x', 'ax', 'w', 'p', 'ap', 'diag'] as const) {
          const block = f32(at[name], rows * n);
          keep.forEach((r, i) => {
            if (r !== i) block.copyWithin(i * n, r * n, (r + 1) * n);
          });
        }
        theta = Float64Array.from(keep, (r) => theta[r] as number);
        const maps = keep.map((r) => active[r] as number);
        outer.keep(keep, maps, rows);
        active = maps;
        rows = keep.length;
        left = new Uint8Array(rows);
      }

      // The block orthonormal on its vectors: Grams of nearly parallel vectors, summed in float32, would leave the
      // Rayleigh–Ritz nothing but rounding in the directions it needs (σ far above σ_max came out on converged maps).
      kernel.orthonormalizeP(at.x, at.p, at.ax, at.ap, rows, n);
      kernel.orthonormalizeW(at.x, at.p, at.w, rows, n);
      product(at.w, at.aw, rows);
      work += rows;
      kernel.grams(at.x, at.w, at.p, at.ax, at.aw, at.ap, at.grams, rows, n);
      const grams = new Float64Array(kernel.memory.buffer, at.grams, rows * 12);
      const coef = f32(at.coef, rows * 6);
      ritzCoefficients(grams, rows, theta, coef, pair);
      kernel.combine(at.x, at.w, at.p, at.ax, at.aw, at.ap, at.coef, rows, n);
    }
    outer.dispose();
    disposed = true;

    let result: tf.Tensor3D | undefined;
    if (settings.vectors !== 'none') {
      const leftVectors = tf.tensor3d(vectors, [batch, 1, n]);
      try {
        result = await rightVectors(op, leftVectors);
      } finally {
        leftVectors.dispose();
      }
    }
    try {
      result = await remeasureOutside(op, settings, 'host', sigma, result);
    } catch (error) {
      result?.dispose(); // remeasureOutside disposes it only when it succeeds
      throw error;
    }
    return result ? { sigma, steps, work, vectors: result } : { sigma, steps, work };
  } finally {
    if (!disposed) outer.dispose();
  }
}
