/**
 * Householder reduction of a symmetric n×n matrix to tridiagonal form with
 * the same eigenvalues, in float64 — the step between a small Gram matrix
 * and the Sturm bisection of tridiagonal.ts. Backward stable: the
 * tridiagonal is exactly similar to G + E with ‖E‖ a few ulps of ‖G‖, so
 * its largest eigenvalue is G's to a few ulps of λ_max(G).
 *
 * Used by denseSpectralNorm (one recurrent kernel, n up to a few hundred)
 * and by the propagation's σ_max of the small k×k product (once per sample
 * per step): the workspace is the caller's, so the per-step use allocates
 * nothing.
 */
export interface TridiagonalWorkspace {
  /** Diagonal, length ≥ n. */
  d: Float64Array;
  /** Off-diagonal, length ≥ n − 1 (e[i] couples rows i and i + 1). */
  e: Float64Array;
  /** Scratch vectors, length ≥ n each. */
  v: Float64Array;
  p: Float64Array;
}

export function tridiagonalWorkspace(n: number): TridiagonalWorkspace {
  return { d: new Float64Array(n), e: new Float64Array(Math.max(n - 1, 1)), v: new Float64Array(n), p: new Float64Array(n) };
}

/**
 * Overwrites the row-major symmetric g (n×n) and writes the tridiagonal's
 * diagonal and off-diagonal into w.d and w.e.
 */
export function tridiagonalise(g: Float64Array, n: number, w: TridiagonalWorkspace): void {
  const { d, e, v, p } = w;
  for (let k = 0; k < n - 2; k++) {
    // Reflect rows/columns k+1..n-1 so that column k below the subdiagonal vanishes.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += (g[i * n + k] as number) ** 2;
    const x0 = g[(k + 1) * n + k] as number;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    e[k] = alpha;
    d[k] = g[k * n + k] as number;
    // v = x − αe₁ (over indices k+1..), H = I − 2vvᵀ/vᵀv.
    let vv = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = (g[i * n + k] as number) - (i === k + 1 ? alpha : 0);
      vv += (v[i] as number) ** 2;
    }
    const scale = 2 / vv;
    // Already reduced (vv = 0), or so nearly that 2/vᵀv overflows (vv subnormal: the column is
    // below ~1e-154 of G's largest entry, which the callers scale to about 1): no reflection,
    // where one would turn 0·∞ into NaN; the entries left are far below G's rounding.
    if (scale === Infinity) continue;
    // p = scale·G v, K = scale/2 · vᵀp, q = p − K v; G ← G − v qᵀ − q vᵀ (trailing block).
    // Rows i and i + 1 of G v in one loop: two independent chains of
    // additions where one alone waits on the adder; each sum in j order as
    // before, so p is bitwise what a loop per row gives.
    let vp = 0;
    let i = k + 1;
    for (; i + 1 < n; i += 2) {
      let s = 0;
      let t = 0;
      const gi = i * n;
      const gt = gi + n;
      for (let j = k + 1; j < n; j++) {
        const vj = v[j] as number;
        s += (g[gi + j] as number) * vj;
        t += (g[gt + j] as number) * vj;
      }
      p[i] = scale * s;
      vp += (v[i] as number) * (p[i] as number);
      p[i + 1] = scale * t;
      vp += (v[i + 1] as number) * (p[i + 1] as number);
    }
    if (i < n) {
      let s = 0;
      const gi = i * n;
      for (let j = k + 1; j < n; j++) s += (g[gi + j] as number) * (v[j] as number);
      p[i] = scale * s;
      vp += (v[i] as number) * (p[i] as number);
    }
    const half = (scale / 2) * vp;
    for (let i = k + 1; i < n; i++) p[i] = (p[i] as number) - half * (v[i] as number);
    for (let i = k + 1; i < n; i++) {
      const gi = i * n;
      const vi = v[i] as number;
      const pi = p[i] as number;
      for (let j = k + 1; j < n; j++) g[gi + j] = (g[gi + j] as number) - vi * (p[j] as number) - pi * (v[j] as number);
    }
  }
  if (n >= 2) {
    d[n - 2] = g[(n - 2) * n + (n - 2)] as number;
    e[n - 2] = g[(n - 1) * n + (n - 2)] as number;
  }
  d[n - 1] = g[(n - 1) * n + (n - 1)] as number;
}
