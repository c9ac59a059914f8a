/**
 * A small seeded PRNG for reproducible start vectors. Reproducibility matters
 * more than quality here: the measurements are run on every monitored training
 * step, and two runs with the same seed must report the same numbers.
 */

/** mulberry32: 32-bit state, full period 2^32, passes the usual smoke tests. */
export function uniformSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller), in float64. */
export function gaussianSource(seed: number): () => number {
  const uniform = uniformSource(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 - u is in (0, 1], so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** `count` standard normal samples. */
export function gaussianArray(count: number, seed: number): Float64Array {
  const next = gaussianSource(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = next();
  return out;
}
