/**
 * Independent float64 reference linear algebra for the tests. Deliberately
 * imports nothing from the code under test: an error shared by both sides
 * would otherwise cancel out. Matrices are row-major Float64Array, n×n unless
 * stated.
 */

/** A seeded standard-normal source (xorshift128+ and Box–Muller), different from the library's PRNG. */
export function normalSource(seed: number): () => number {
  let s0 = (seed * 2654435761) >>> 0 || 1;
  let s1 = (seed * 40503 + 12345) >>> 0 || 7;
  const uniform = () => {
    // xorshift on two 32-bit words; enough quality for test matrices.
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) uniform(); // decorrelate from the seed
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

export function gaussianMatrix(rows: number, cols: number, next: () => number, scale = 1): Float64Array {
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = scale * next();
  return a;
}

/** C = A B for A [m×k], B [k×n]. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p] as number;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = (c[i * n + j] as number) + aip * (b[p * n + j] as number);
    }
  }
  return c;
}

/**
 * All singular values of an m×n matrix, descending, by one-sided (Hestenes)
 * Jacobi: rotate column pairs until every pair is orthogonal to machine
 * precision; the singular values are then the column norms. Converges
 * quadratically and is accurate to a few ulps relative to ‖A‖.
 */
export function jacobiSingularValues(a: ArrayLike<number>, m: number, n: number): number[] {
  const w = Float64Array.from(a as ArrayLike<number>);
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p] as number;
          const y = w[i * n + q] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p] as number;
          const y = w[i * n + q] as number;
          w[i * n + p] = c * x - s * y;
          w[i * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sv: number[] = [];
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += (w[i * n + j] as number) ** 2;
    sv.push(Math.sqrt(ss));
  }
  return sv.sort((x, y) => y - x);
}

export function topSingularValue(a: ArrayLike<number>, m: number, n: number): number {
  return jacobiSingularValues(a, m, n)[0] as number;
}

/** A random n×n orthogonal matrix (Gram–Schmidt, twice, of a Gaussian matrix). */
export function randomOrthogonal(n: number, next: () => number): Float64Array {
  const q = gaussianMatrix(n, n, next);
  for (let r = 0; r < n; r++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < r; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (q[r * n + i] as number) * (q[p * n + i] as number);
        for (let i = 0; i < n; i++) q[r * n + i] = (q[r * n + i] as number) - dot * (q[p * n + i] as number);
      }
    }
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (q[r * n + i] as number) ** 2;
    const len = Math.sqrt(ss);
    for (let i = 0; i < n; i++) q[r * n + i] = (q[r * n + i] as number) / len;
  }
  return q;
}

/** Max over i of |a_i − b_i| / |b_i|. */
export function maxRelativeError(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.abs(b[i] as number));
  return worst;
}

/** Rounds to float32, as uploading to a tensor does: references must see the same matrices as the device. */
export function toFloat32(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(a as ArrayLike<number>));
}
