import { tridiagonalise, tridiagonalWorkspace, type TridiagonalWorkspace } from './householder.js';
import { topEigenvalueAbove } from './tridiagonal.js';

/**
 * σ_max of a sequence of small k×k matrices (the normalised product
 * M_t = R_t ⋯ R_1 of the Benettin propagation, once per sample per step),
 * in float64, with its workspace allocated once.
 *
 * σ_max(M)² = λ_max(MᵀM): the Gram matrix of M scaled to max entry 1,
 * reduced to tridiagonal form by Householder reflections (householder.ts)
 * and solved by Laguerre's method from above with Sturm counts
 * (tridiagonal.ts). Each step is backward
 * stable with respect to ‖G‖ = σ_max², so σ_max comes out to a few ulps
 * whatever the rest of the spectrum: ~10 ε against a cold Jacobi SVD on
 * recorded products of SimpleRNN and LSTM propagations.
 *
 * Why not Jacobi: a one-sided Jacobi SVD warm-started from the previous
 * step's right singular vectors took 4–7 sweeps (85–105 rotations) per
 * update on those products, not the one or two hoped for — the warm start
 * does nothing for the tiny singular values of a long product, which keep
 * rotating until every column pair is orthogonal, though they cannot move
 * σ_max — and its accumulated rotations drifted to ~100 ε. This route costs
 * a fixed ~k³ + ~20·k operations and keeps no state between calls.
 */
export class TopSingularValueTracker {
  private readonly g: Float64Array;
  private readonly row: Float64Array;
  private readonly work: TridiagonalWorkspace;

  constructor(private readonly k: number) {
    this.g = new Float64Array(k * k);
    this.row = new Float64Array(k);
    this.work = tridiagonalWorkspace(k);
  }

  /** σ_max of the row-major k×k matrix m (0 for a zero matrix, NaN if it has a non-finite entry). */
  update(m: ArrayLike<number>): number {
    const { k, g, row } = this;
    let maxAbs = 0;
    for (let i = 0; i < k * k; i++) {
      const x = Math.abs(m[i] as number);
      if (!Number.isFinite(x)) return NaN;
      if (x > maxAbs) maxAbs = x;
    }
    if (maxAbs === 0) return 0;
    // G = (M/s)ᵀ(M/s), s the largest entry (no overflow or underflow); upper triangle, then mirrored.
    // Zero entries are skipped: the propagation's M is upper triangular, so this is ~k³/6 work.
    g.fill(0);
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) row[c] = (m[r * k + c] as number) / maxAbs;
      for (let i = 0; i < k; i++) {
        const x = row[i] as number;
        if (x === 0) continue;
        const gi = i * k;
        for (let j = i; j < k; j++) g[gi + j] = (g[gi + j] as number) + x * (row[j] as number);
      }
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[i * k + j] = g[j * k + i] as number;
    tridiagonalise(g, k, this.work);
    // From the largest diagonal entry up (see topEigenvalueAbove), to bisection's 2ε where Laguerre's method hands over.
    return maxAbs * Math.sqrt(Math.max(0, topEigenvalueAbove(this.work.d, this.work.e, k, NaN, 2 * Number.EPSILON)));
  }
}
