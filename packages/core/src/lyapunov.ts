import type { JacobianSequence } from './operator.js';
import { checkSequence, propagateProduct, type PropagateOptions } from './propagate.js';

/**
 * The top-k finite-time Lyapunov exponents of each sample's product
 * J_T ⋯ J_1, by Benettin's QR method: λ_i = (1/T) Σ_t ln R_ii(t), natural log
 * per step, sorted descending (QR order is descending only asymptotically;
 * for finite T the values are sorted so ftle[s][0] is the largest).
 *
 * λ₁ > 0: perturbations (and gradients) grow through time; λ₁ < 0: they
 * vanish. A direction annihilated by some J_t (R_ii = 0) gives −∞; NaN or ∞
 * in a Jacobian gives NaN.
 *
 * Options as propagateProduct: k (default min(n, 8)), seed, start.
 * Returns [S][k]. Dense Jacobians (a tensor [T, n, n] or [S, T, n, n]) go
 * in as denseSequence(tensor); a bare tensor is rejected with that advice.
 * For the norms as well, call analyzeSequence, which shares
 * the propagation.
 */
export async function lyapunovSpectrum(seq: JacobianSequence, options: PropagateOptions = {}): Promise<number[][]> {
  checkSequence('lyapunovSpectrum', seq);
  return (await propagateProduct(seq, options)).ftle;
}
