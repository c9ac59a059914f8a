import { matmul64, normalSource, randomOrthogonal, toFloat32 } from './linalg64.js';

/**
 * `batch` maps U·diag(σ)·Vᵀ of size n (float32 values, random orthogonal U
 * and V from `seed`) with σ₁ = 1, σ₂ = `sigma2` and σ_i = tail(i) below,
 * and a start row per map from its V: start(v, c) is entry c, where
 * v(i, c) is entry c of v_i, the right-singular vector of σ_i (0-based i).
 * The maps of the warm-start traps: a start that is σ₂'s vector.
 */
export function secondVectorMaps(
  batch: number,
  n: number,
  sigma2: number,
  seed: number,
  tail: (i: number) => number,
  start: (v: (i: number, c: number) => number, c: number) => number,
): { maps: Float64Array[]; starts: Float32Array } {
  const next = normalSource(seed);
  const maps: Float64Array[] = [];
  const starts = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const u = randomOrthogonal(n, next);
    const v = randomOrthogonal(n, next);
    const sigma = Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? sigma2 : tail(i)));
    // U·diag(σ), then ·Vᵀ: column i of V is the right-singular vector for σ_i.
    const us = Float64Array.from(u, (x, k) => x * (sigma[k % n] as number));
    const vt = Float64Array.from({ length: n * n }, (_, k) => v[(k % n) * n + Math.floor(k / n)] as number);
    maps.push(toFloat32(matmul64(us, vt, n, n, n)));
    const column = (i: number, c: number) => v[c * n + i] as number;
    for (let c = 0; c < n; c++) starts[b * n + c] = start(column, c);
  }
  return { maps, starts };
}
