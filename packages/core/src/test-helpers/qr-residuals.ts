/**
 * How good a thin QR of `samples` blocks of k rows of length n is, in
 * float64: the worst |QQᵀ − I|, the worst |Y − RᵀQ| (absolute; rows y_i of Y
 * are Σ_p R(p, i) q_p) and the worst |R| below the diagonal.
 */
export function qrResiduals(y: ArrayLike<number>, q: Float64Array, r: Float64Array, samples: number, k: number, n: number): { orthogonality: number; reconstruction: number; lower: number } {
  let orthogonality = 0;
  let reconstruction = 0;
  let lower = 0;
  for (let s = 0; s < samples; s++) {
    const Q = (i: number, c: number) => q[(s * k + i) * n + c]!;
    const R = (i: number, j: number) => r[s * k * k + i * k + j]!;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += Q(i, c) * Q(j, c);
        orthogonality = Math.max(orthogonality, Math.abs(dot - (i === j ? 1 : 0)));
        if (j < i) lower = Math.max(lower, Math.abs(R(i, j)));
      }
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let p = 0; p <= i; p++) sum += R(p, i) * Q(p, c);
        reconstruction = Math.max(reconstruction, Math.abs(sum - y[(s * k + i) * n + c]!));
      }
    }
  }
  return { orthogonality, reconstruction, lower };
}
