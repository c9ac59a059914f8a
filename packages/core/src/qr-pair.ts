import { loadRow, MAX_PASSES, normFromSquares, orthogonaliseAgainst, REPEAT_RATIO } from './gram-schmidt.js';

/**
 * The QRs of samples s and s + 1 of qrRows together, row by row, every
 * operation of each exactly as the one-sample path does it (gram-schmidt.ts),
 * so Q and R are bitwise the same.
 *
 * Why: each dot product is one chain of dependent float64 additions, so a
 * loop over one sample waits on the adder; two independent chains in one
 * loop fill that wait (1.1–1.25× less time for qrRows on recorded SimpleRNN and
 * LSTM propagation blocks). Splitting one sample's dot into two interleaved
 * halves would do the same, but would change its rounding.
 *
 * Returns false, before anything has drawn a fresh direction, when a
 * residual vanishes in either sample; qrRows then redoes the pair one
 * sample at a time. wa and wb are scratch vectors of length n.
 */
export function qrPair(y: ArrayLike<number>, s: number, k: number, n: number, q: Float64Array, r: Float64Array, wa: Float64Array, wb: Float64Array): boolean {
  const blockA = s * k * n;
  const blockB = blockA + k * n;
  const rA = s * k * k;
  const rB = rA + k * k;
  const norms = new Float64Array(2);
  for (let i = 0; i < k; i++) {
    const rowA = blockA + i * n;
    const rowB = blockB + i * n;
    norms[0] = loadRow(y, rowA, n, wa);
    norms[1] = loadRow(y, rowB, n, wb);
    orthogonalisePair(wa, wb, q, blockA, blockB, i, n, r, rA + i, rB + i, k, norms);
    const normA = norms[0] as number;
    const normB = norms[1] as number;
    if (normA === 0 || normB === 0) return false;
    r[rA + i * k + i] = normA;
    r[rB + i * k + i] = normB;
    for (let c = 0; c < n; c++) {
      q[rowA + c] = (wa[c] as number) / normA;
      q[rowB + c] = (wb[c] as number) / normB;
    }
  }
  return true;
}

/**
 * orthogonaliseAgainst on two vectors at once, norms in and out through
 * `norms`: passes together while both need one; once one is done, the other
 * finishes alone with the passes it has left.
 */
function orthogonalisePair(
  wa: Float64Array,
  wb: Float64Array,
  q: Float64Array,
  qA: number,
  qB: number,
  count: number,
  n: number,
  r: Float64Array,
  rA: number,
  rB: number,
  k: number,
  norms: Float64Array,
): void {
  if (count === 0) return;
  let normA = norms[0] as number;
  let normB = norms[1] as number;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let baseA = qA;
    let baseB = qB;
    let dotA = 0;
    let dotB = 0;
    for (let c = 0; c < n; c++) {
      dotA += (q[baseA + c] as number) * (wa[c] as number);
      dotB += (q[baseB + c] as number) * (wb[c] as number);
    }
    for (let p = 0; p < count - 1; p++) {
      r[rA + p * k] = (r[rA + p * k] as number) + dotA;
      r[rB + p * k] = (r[rB + p * k] as number) + dotB;
      const nextA = baseA + n;
      const nextB = baseB + n;
      let nextDotA = 0;
      let nextDotB = 0;
      for (let c = 0; c < n; c++) {
        const xa = (wa[c] as number) - dotA * (q[baseA + c] as number);
        const xb = (wb[c] as number) - dotB * (q[baseB + c] as number);
        wa[c] = xa;
        wb[c] = xb;
        nextDotA += (q[nextA + c] as number) * xa;
        nextDotB += (q[nextB + c] as number) * xb;
      }
      dotA = nextDotA;
      dotB = nextDotB;
      baseA = nextA;
      baseB = nextB;
    }
    r[rA + (count - 1) * k] = (r[rA + (count - 1) * k] as number) + dotA;
    r[rB + (count - 1) * k] = (r[rB + (count - 1) * k] as number) + dotB;
    let ssA = 0;
    let ssB = 0;
    for (let c = 0; c < n; c++) {
      const xa = (wa[c] as number) - dotA * (q[baseA + c] as number);
      const xb = (wb[c] as number) - dotB * (q[baseB + c] as number);
      wa[c] = xa;
      wb[c] = xb;
      ssA += xa * xa;
      ssB += xb * xb;
    }
    const lengthA = normFromSquares(ssA, wa);
    const lengthB = normFromSquares(ssB, wb);
    const stableA = !(lengthA < REPEAT_RATIO * normA);
    const stableB = !(lengthB < REPEAT_RATIO * normB);
    normA = lengthA;
    normB = lengthB;
    const left = MAX_PASSES - pass - 1;
    if (stableA && !stableB) normB = orthogonaliseAgainst(wb, q, qB, count, n, r, rB, k, normB, left);
    if (stableB && !stableA) normA = orthogonaliseAgainst(wa, q, qA, count, n, r, rA, k, normA, left);
    if (stableA || stableB) break;
  }
  norms[0] = normA;
  norms[1] = normB;
}
