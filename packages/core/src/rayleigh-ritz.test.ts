import { describe, expect, it } from 'vitest';
import { topRitzPair, type RitzPair } from './rayleigh-ritz.js';
import { gaussianMatrix, matmul64, normalSource, topSingularValue } from './test-helpers/linalg64.js';

/** A = GᵀG + I (n × n, symmetric positive definite) in float64. */
function spd(n: number, seed: number): Float64Array {
  const g = gaussianMatrix(n, n, normalSource(seed));
  const gt = Float64Array.from({ length: n * n }, (_, k) => g[(k % n) * n + Math.floor(k / n)] as number);
  const a = matmul64(gt, g, n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + 1;
  return a;
}

const times = (a: Float64Array, v: Float64Array, n: number) => Float64Array.from({ length: n }, (_, i) => v.reduce((s, x, j) => s + (a[i * n + j] as number) * x, 0));
const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => s + x * (v[i] as number), 0);

/** The Grams topRitzPair reads, from the vectors themselves. */
function grams(a: Float64Array, [x, w, p]: Float64Array[], n: number): Float64Array {
  const [ax, aw, ap] = [x, w, p].map((v) => times(a, v!, n)) as [Float64Array, Float64Array, Float64Array];
  return Float64Array.from([dot(x!, x!), dot(x!, w!), dot(x!, p!), dot(w!, w!), dot(w!, p!), dot(p!, p!), dot(x!, ax), dot(x!, aw), dot(x!, ap), dot(w!, aw), dot(w!, ap), dot(p!, ap)]);
}

/**
 * The reference, by other means: an orthonormal basis of the vectors' span
 * (Gram–Schmidt twice, in float64, leaving out vectors with less than 1e-3
 * of their length outside the earlier ones), Qᵀ A Q, and its largest
 * eigenvalue as its largest singular value (it is positive definite) by
 * the test helpers' Jacobi SVD.
 */
function reference(a: Float64Array, vectors: Float64Array[], n: number): number {
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const q = Float64Array.from(v);
    const length = Math.sqrt(dot(q, q));
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const d = dot(b, q);
        for (let i = 0; i < n; i++) q[i] = (q[i] as number) - d * (b[i] as number);
      }
    }
    const rest = Math.sqrt(dot(q, q));
    if (!(rest > 1e-3 * length)) continue;
    basis.push(q.map((x) => x / rest));
  }
  const k = basis.length;
  const projected = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) projected[i * k + j] = dot(basis[i]!, times(a, basis[j]!, n));
  return topSingularValue(projected, k, k);
}

function check(a: Float64Array, vectors: Float64Array[], n: number): RitzPair {
  const g = grams(a, vectors, n);
  const pair = topRitzPair(g, 0, { lambda: NaN, coefficients: new Float64Array(3) });
  const exact = reference(a, vectors, n);
  expect(Math.abs(pair.lambda - exact) / exact).toBeLessThan(1e-12);
  // The Ritz vector y = Σ c_i s_i: unit, and A y − λ y orthogonal to the span.
  const y = new Float64Array(n);
  vectors.forEach((v, i) => v.forEach((x, j) => (y[j] = (y[j] as number) + (pair.coefficients[i] as number) * x)));
  expect(Math.abs(dot(y, y) - 1)).toBeLessThan(1e-12);
  // Orthogonal to every vector the basis kept (a vector left out as dependent lies in the span only to 1e-3).
  const residual = times(a, y, n).map((x, j) => x - pair.lambda * (y[j] as number));
  vectors.forEach((v, i) => {
    const length = Math.sqrt(dot(v, v));
    if (length > 0 && pair.coefficients[i] !== 0) expect(Math.abs(dot(residual, v)) / length).toBeLessThan(1e-9 * pair.lambda);
  });
  return pair;
}

describe('topRitzPair: the top Ritz pair on the span of x, w, p from their Grams (rayleigh-ritz.ts)', () => {
  const n = 12;
  const a = spd(n, 3);
  const next = normalSource(7);
  const vector = (scale = 1) => Float64Array.from({ length: n }, () => scale * next());

  it('three independent vectors: λ is the top eigenvalue of A on their span, c a unit Ritz vector', () => {
    for (let trial = 0; trial < 20; trial++) check(a, [vector(), vector(), vector()], n);
  });

  it('vectors of very different lengths (a residual at convergence, 1e-6 of x): as accurate', () => {
    for (let trial = 0; trial < 10; trial++) check(a, [vector(), vector(1e-6), vector(1e-3)], n);
  });

  it('a zero w or p is left out, with a coefficient 0; with both zero, λ is x’s Rayleigh quotient', () => {
    const zero = new Float64Array(n);
    expect(check(a, [vector(), zero, vector()], n).coefficients[1]).toBe(0);
    expect(check(a, [vector(), vector(), zero], n).coefficients[2]).toBe(0);
    const x = vector();
    const pair = check(a, [x, zero, zero], n);
    expect(Math.abs(pair.lambda - dot(x, times(a, x, n)) / dot(x, x)) / pair.lambda).toBeLessThan(1e-14);
  });

  it('a p along x (the search direction at convergence) is left out as dependent', () => {
    const x = vector();
    const pair = check(a, [x, vector(), Float64Array.from(x, (v, i) => 2 * v + 1e-6 * (i % 3))], n);
    expect(pair.coefficients[2]).toBe(0);
  });

  it('a NaN in the Grams gives NaN, as a NaN map gives the Lanczos', () => {
    const g = grams(a, [vector(), vector(), vector()], n);
    g[7] = NaN;
    const pair = topRitzPair(g, 0, { lambda: 0, coefficients: new Float64Array(3) });
    expect(pair.lambda).toBeNaN();
    expect(Array.from(pair.coefficients).every(Number.isNaN)).toBe(true);
  });
});
