import { describe, expect, it } from 'vitest';
import { qrRows } from './qr.js';
import { gaussianMatrix, normalSource } from './test-helpers/linalg64.js';

/**
 * Textbook repeated modified Gram–Schmidt with one loop per operation (dot,
 * subtraction, norm), the same repeat rule (another pass while a pass leaves
 * under 0.7 of the norm) and the same scaled norm outside 1e-290..1e290.
 * qrRows fuses these loops for speed; it must not change a single rounding,
 * so its Q and R must equal this reference bit for bit.
 */
function referenceQr(y: ArrayLike<number>, k: number, n: number): { q: Float64Array; r: Float64Array } {
  const norm = (w: Float64Array) => {
    let ss = 0;
    for (let c = 0; c < n; c++) ss += (w[c] as number) * (w[c] as number);
    if (ss > 1e-290 && ss < 1e290) return Math.sqrt(ss);
    const big = w.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
    let scaled = 0;
    for (let c = 0; c < n; c++) scaled += ((w[c] as number) / big) * ((w[c] as number) / big);
    return big * Math.sqrt(scaled);
  };
  const q = new Float64Array(k * n);
  const r = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const w = Float64Array.from({ length: n }, (_, c) => y[i * n + c] as number);
    let length = norm(w);
    for (let pass = 0; i > 0 && pass < 4; pass++) {
      for (let p = 0; p < i; p++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += (q[p * n + c] as number) * (w[c] as number);
        for (let c = 0; c < n; c++) w[c] = (w[c] as number) - dot * (q[p * n + c] as number);
        r[p * k + i] = (r[p * k + i] as number) + dot;
      }
      const next = norm(w);
      const stable = !(next < 0.7 * length);
      length = next;
      if (stable) break;
    }
    r[i * k + i] = length;
    for (let c = 0; c < n; c++) q[i * n + c] = (w[c] as number) / length;
  }
  return { q, r };
}

describe('qrRows: fused loops, same roundings', () => {
  it('equals unfused modified Gram–Schmidt bit for bit (random, nearly dependent, tiny and huge rows)', () => {
    const next = normalSource(17);
    const blocks: [Float64Array, number, number][] = [];
    for (const [k, n] of [[1, 7], [2, 2], [8, 64], [8, 256], [5, 33]] as const) blocks.push([gaussianMatrix(k, n, next), k, n]);
    // Rows that share most of their direction (the propagation's usual case: every pass is repeated).
    const base = gaussianMatrix(1, 40, next);
    blocks.push([Float64Array.from({ length: 6 * 40 }, (_, x) => (base[x % 40] as number) + 1e-6 * next()), 6, 40]);
    // Sums of squares outside 1e-290..1e290: the scaled norm.
    blocks.push([gaussianMatrix(4, 20, next, 1e-160), 4, 20]);
    blocks.push([gaussianMatrix(4, 20, next, 1e160), 4, 20]);
    for (const [y, k, n] of blocks) {
      const q = new Float64Array(k * n);
      const r = new Float64Array(k * k);
      qrRows(y, 1, k, n, q, r, () => {
        throw new Error('no row of these blocks is dependent');
      });
      const ref = referenceQr(y, k, n);
      expect(Array.from(q).every((x, i) => Object.is(x, ref.q[i])), `Q, k = ${k}, n = ${n}`).toBe(true);
      expect(Array.from(r).every((x, i) => Object.is(x, ref.r[i])), `R, k = ${k}, n = ${n}`).toBe(true);
    }
  });
});

describe('qrRows: samples two at a time', () => {
  it('equals one sample at a time bit for bit, also when a residual vanishes in a pair (fresh directions drawn in the same order)', () => {
    const next = normalSource(23);
    const [k, n] = [4, 9];
    for (const samples of [2, 3, 5]) {
      const y = gaussianMatrix(samples * k, n, next);
      // Sample 1: a zero row and a repeated row (both residuals vanish); sample 2 (if any): a zero first row.
      for (let c = 0; c < n; c++) {
        y[(k + 1) * n + c] = 0;
        y[(k + 3) * n + c] = y[k * n + c] as number;
        if (samples > 2) y[2 * k * n + c] = 0;
      }
      const q = new Float64Array(samples * k * n);
      const r = new Float64Array(samples * k * k);
      qrRows(y, samples, k, n, q, r, normalSource(3));
      const fresh = normalSource(3);
      for (let s = 0; s < samples; s++) {
        const qs = new Float64Array(k * n);
        const rs = new Float64Array(k * k);
        qrRows(y.subarray(s * k * n, (s + 1) * k * n), 1, k, n, qs, rs, fresh);
        expect(Array.from(qs).every((x, i) => Object.is(x, q[s * k * n + i])), `Q of sample ${s} of ${samples}`).toBe(true);
        expect(Array.from(rs).every((x, i) => Object.is(x, r[s * k * k + i])), `R of sample ${s} of ${samples}`).toBe(true);
      }
      expect(r[k * k + 1 * k + 1]).toBe(0);
    }
  });
});
