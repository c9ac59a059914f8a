import * as tf from '@tensorflow/tfjs-core';
import type { WarmStop } from './warm-stop.js';
import { bidiagonalGram, bidiagonalTopSingularValue, lastEigenvectorEntry, topEigenvalueAbove, tridiagonalEigenvector } from './tridiagonal.js';

/**
 * What the coefficients are: 'bidiagonal', Golub–Kahan's α, β of J itself
 * (σ = σ_max of the bidiagonal); 'tridiagonal', a symmetric Lanczos's
 * diagonal α and off-diagonal β of J Jᵀ (σ = √λ_max, see gram-lanczos.ts).
 */
export type CoefficientForm = 'bidiagonal' | 'tridiagonal';

/** σ from the first j coefficients of either form; `lower` a σ known to be at or below it. */
function topValue(form: CoefficientForm, alpha: Float64Array, beta: Float64Array, j: number, lower = NaN): number {
  if (form === 'bidiagonal') return bidiagonalTopSingularValue(alpha, beta, j, lower);
  // A non-finite α_i or β_i gives NaN: topEigenvalueAbove checks the same entries before it searches.
  return Math.sqrt(Math.max(0, topEigenvalueAbove(alpha, beta, j, lower * lower)));
}

/**
 * The host side of the batched Golub–Kahan–Lanczos: the α, β coefficients
 * of every map in float64, the Ritz values σ computed from them, and the
 * convergence decision. Maps are addressed by their index in the original
 * batch; `active[r]` is the original index of row r of the device tensors,
 * which shrink as converged maps are dropped.
 */
export class LanczosCoefficients {
  readonly alpha: Float64Array[];
  readonly beta: Float64Array[];
  /** σ_max estimate per original map (NaN until the first check). */
  readonly sigma: Float64Array;
  /** Steps each map took before it converged or the run ended. */
  readonly taken: Int32Array;
  /** Consecutive checks at which each map had settled. */
  readonly streak: Int32Array;
  /**
   * σ per map at each check's step (NaN between checks), map b's step t at
   * b·(steps + 1) + t, for the warm rule's span to read instead of
   * recomputing; made by its first check, one array for the whole batch.
   */
  private checked: Float64Array | null = null;

  constructor(batch: number, private readonly steps: number, private readonly form: CoefficientForm = 'bidiagonal') {
    this.alpha = Array.from({ length: batch }, () => new Float64Array(steps));
    this.beta = Array.from({ length: batch }, () => new Float64Array(steps));
    this.sigma = new Float64Array(batch).fill(NaN);
    this.taken = new Int32Array(batch);
    this.streak = new Int32Array(batch);
  }

  /**
   * Downloads the pending α, β ([A] or [A, 1, 1] each for the A active rows,
   * in push order α_i, β_i, α_{i+1}, …, ending at step `taken`) in one
   * transfer. The caller keeps and disposes the pending tensors.
   */
  async read(pending: tf.Tensor[], taken: number, active: number[]): Promise<void> {
    if (pending.length === 0) return;
    const stacked = tf.stack(pending);
    const firstStep = taken - Math.ceil(pending.length / 2);
    try {
      const values = await stacked.data();
      const rows = active.length;
      for (let r = 0; r < pending.length; r++) {
        this.write(r % 2 === 0 ? 'alpha' : 'beta', active, firstStep + Math.floor(r / 2), values.subarray(r * rows, (r + 1) * rows));
      }
    } finally {
      stacked.dispose();
    }
  }

  /** Step `step`'s α or β of the active maps, one value per row of `active` (what read() downloads, or a host-form step computed). */
  write(which: 'alpha' | 'beta', active: number[], step: number, values: ArrayLike<number>): void {
    const target = which === 'alpha' ? this.alpha : this.beta;
    for (let r = 0; r < active.length; r++) (target[active[r] as number] as Float64Array)[step] = values[r] as number;
  }

  /**
   * Updates σ of every active map from its first `taken` coefficients and
   * returns, per active row, whether it has settled (NaN counts as settled:
   * more steps cannot repair it).
   *
   * Without `warm`: settled when σ moved by at most tolerance·σ since
   * the previous check. Ritz values only grow with the Krylov space and
   * converge geometrically, so a small move between checks a few steps
   * apart bounds the remaining error by a small multiple of it.
   *
   * With `warm` (a warm start, see warm-stop.ts): settled from step
   * warm.minSteps on, when σ moved by at most tolerance·σ over the last
   * warm.quietSpan steps and the top Ritz pair (θ = σ², x) of JᵀJ (of
   * J Jᵀ in the 'tridiagonal' form) has ‖JᵀJ x − θ x‖ ≤ warm.residual·θ.
   * The residual is the next off-diagonal of the tridiagonal times the
   * last entry of its top eigenvector (Paige; lastEigenvectorEntry), so it
   * costs no device work; it needs that off-diagonal, which every step but
   * a run's last one has recorded.
   */
  settle(taken: number, active: number[], tolerance: number, warm?: WarmStop): boolean[] {
    if (warm && !this.checked) this.checked = new Float64Array(this.sigma.length * (this.steps + 1)).fill(NaN);
    const checked = this.checked;
    return active.map((b) => {
      const [alpha, beta] = [this.alpha[b] as Float64Array, this.beta[b] as Float64Array];
      // The first check compares with two steps earlier, so that a map
      // started near its answer (a start from the map's structure) can
      // have its quiet checks, and leave, four steps sooner.
      let previous = this.sigma[b] as number;
      if (warm === undefined && Number.isNaN(previous) && taken > 2) previous = topValue(this.form, alpha, beta, taken - 2);
      // The previous value is a lower bound (interlacing): the search starts there.
      const value = topValue(this.form, alpha, beta, taken, previous);
      this.sigma[b] = value;
      this.taken[b] = taken;
      if (checked) checked[this.slot(b, taken)] = value;
      const settled = Number.isNaN(value) || (warm === undefined ? Math.abs(value - previous) <= tolerance * value : this.warmSettled(b, taken, value, tolerance, warm));
      this.streak[b] = settled ? (this.streak[b] as number) + 1 : 0;
      return settled;
    });
  }

  /** Where map b's σ at step t sits in `checked`. */
  private slot(b: number, t: number): number {
    return b * (this.steps + 1) + t;
  }

  /**
   * The warm rule (see warm-stop.ts): from step minSteps, the residual
   * within residual·σ², and σ moved by at most tolerance·σ over the last
   * quietSpan steps (σ as the check on that step recorded it; recomputed
   * from the coefficients where no check fell on it).
   */
  private warmSettled(b: number, taken: number, value: number, tolerance: number, warm: WarmStop): boolean {
    if (taken < warm.minSteps) return false;
    // The quiet span first: it is a lookup where a check fell on that step,
    // and most maps that fail do so here, before the residual's pass over
    // the pivots (and, for Golub–Kahan, the Gram it builds).
    if (!(warm.quietSpan <= 0)) {
      if (taken <= warm.quietSpan) return false;
      const checked = this.checked?.[this.slot(b, taken - warm.quietSpan)] ?? NaN;
      const earlier = Number.isNaN(checked) ? topValue(this.form, this.alpha[b] as Float64Array, this.beta[b] as Float64Array, taken - warm.quietSpan) : checked;
      if (!(Math.abs(value - earlier) <= tolerance * value)) return false;
    }
    return this.residual(b, taken, value) <= warm.residual * value * value;
  }

  /** ‖A x − θ x‖ of the top Ritz pair of map b after `taken` steps (A = JᵀJ, or J Jᵀ in the 'tridiagonal' form), θ = σ². */
  private residual(b: number, taken: number, sigma: number): number {
    const [alpha, beta] = [this.alpha[b] as Float64Array, this.beta[b] as Float64Array];
    const { d, e } = this.form === 'bidiagonal' ? bidiagonalGram(alpha, beta, taken) : { d: alpha, e: beta };
    // Golub–Kahan: JᵀJ V_k = V_k B_kᵀB_k + α_k β_k v_{k+1} e_kᵀ; on J Jᵀ the next β alone.
    const next = this.form === 'bidiagonal' ? (alpha[taken - 1] as number) * (beta[taken - 1] as number) : (beta[taken - 1] as number);
    return Math.abs(next) * lastEigenvectorEntry(d, e, taken, sigma * sigma);
  }

  /**
   * Coefficients y [maps.length, taken] (float32, row-major) of the top Ritz
   * vector in the Lanczos basis v_1..v_taken: the top eigenvector of BᵀB
   * (of the tridiagonal, in the 'tridiagonal' form).
   * A map with a non-finite σ gets NaN coefficients.
   */
  ritzCoefficients(maps: number[], taken: number): Float32Array {
    const out = new Float32Array(maps.length * taken);
    maps.forEach((b, row) => {
      const [alpha, beta] = [this.alpha[b] as Float64Array, this.beta[b] as Float64Array];
      const { d, e } = this.form === 'bidiagonal' ? bidiagonalGram(alpha, beta, taken) : { d: alpha, e: beta };
      // σ² is the top eigenvalue of BᵀB (or of the tridiagonal itself), found at this check (to an ulp of the square root).
      const s = this.sigma[b] as number;
      out.set(tridiagonalEigenvector(d, e, taken, Number.isFinite(s) ? s * s : NaN), row * taken);
    });
    return out;
  }
}
