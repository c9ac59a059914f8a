/**
 * σ_max of a slowly changing sequence of small k×k matrices (the normalised
 * product M_t = R_t ⋯ R_1 of the Benettin propagation), in float64.
 *
 * One-sided Jacobi on A = M V: rotate column pairs of A (and of V) until all
 * columns are orthogonal; then the column norms are the singular values of M.
 * V is kept between calls: M_t's right singular vectors move little from one
 * step to the next, so A starts nearly orthogonal and one or two sweeps of
 * k²/2 rotations suffice, instead of the ~6–10 sweeps of a cold start.
 * Accurate to a few ulps of ‖M‖, which is what σ_max needs.
 */
export class TopSingularValueTracker {
  private readonly v: Float64Array;
  private readonly a: Float64Array;
  private updates = 0;

  constructor(private readonly k: number) {
    this.v = new Float64Array(k * k);
    for (let i = 0; i < k; i++) this.v[i * k + i] = 1;
    this.a = new Float64Array(k * k);
  }

  /** σ_max of the row-major k×k matrix m (NaN if it has a non-finite entry). */
  update(m: ArrayLike<number>): number {
    const { k, v, a } = this;
    for (let i = 0; i < k * k; i++) if (!Number.isFinite(m[i] as number)) return NaN;
    // Rounding drift in the accumulated rotations: restore V's orthonormality now and then.
    if (++this.updates % 64 === 0) orthonormaliseColumns(v, k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (m[i * k + p] as number) * (v[p * k + j] as number);
        a[i * k + j] = s;
      }
    }
    for (let sweep = 0; sweep < 40; sweep++) {
      let rotated = false;
      for (let p = 0; p < k - 1; p++) {
        for (let q = p + 1; q < k; q++) {
          let alpha = 0;
          let beta = 0;
          let gamma = 0;
          for (let i = 0; i < k; i++) {
            const x = a[i * k + p] as number;
            const y = a[i * k + q] as number;
            alpha += x * x;
            beta += y * y;
            gamma += x * y;
          }
          if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
          const zeta = (beta - alpha) / (2 * gamma);
          if (!Number.isFinite(zeta)) continue; // γ negligible against the norms: the rotation would be the identity
          rotated = true;
          const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          const c = 1 / Math.sqrt(1 + t * t);
          const s = c * t;
          rotateColumns(a, k, p, q, c, s);
          rotateColumns(v, k, p, q, c, s);
        }
      }
      if (!rotated) break;
    }
    let top = 0;
    for (let j = 0; j < k; j++) {
      let ss = 0;
      for (let i = 0; i < k; i++) ss += (a[i * k + j] as number) ** 2;
      top = Math.max(top, ss);
    }
    return Math.sqrt(top);
  }
}

function rotateColumns(x: Float64Array, k: number, p: number, q: number, c: number, s: number): void {
  for (let i = 0; i < k; i++) {
    const xp = x[i * k + p] as number;
    const xq = x[i * k + q] as number;
    x[i * k + p] = c * xp - s * xq;
    x[i * k + q] = s * xp + c * xq;
  }
}

/** Modified Gram–Schmidt on the columns of a k×k matrix, in place. */
function orthonormaliseColumns(x: Float64Array, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < k; i++) dot += (x[i * k + p] as number) * (x[i * k + j] as number);
      for (let i = 0; i < k; i++) x[i * k + j] = (x[i * k + j] as number) - dot * (x[i * k + p] as number);
    }
    let ss = 0;
    for (let i = 0; i < k; i++) ss += (x[i * k + j] as number) ** 2;
    const len = Math.sqrt(ss);
    for (let i = 0; i < k; i++) x[i * k + j] = (x[i * k + j] as number) / len;
  }
}
