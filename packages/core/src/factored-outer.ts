import * as tf from '@tensorflow/tfjs-core';
import type { OuterFactors } from './operator.js';
import { readValues } from './reads-at-once.js';

/**
 * d = s² ⊙ diag(G) + ι, row by row; `stride` is 0 for one G, n² for one per
 * map. A function of its own, so that V8 compiles the loop by itself rather
 * than with the loader's async body (0.2 ms for 800 rows of 128 compiled).
 */
function writeDiagonal(d: Float32Array, s: Float32Array, g: Float32Array, iota: Float32Array, stride: number, n: number): void {
  const batch = iota.length;
  for (let b = 0; b < batch; b++) {
    const from = b * stride;
    const add = iota[b] as number;
    for (let i = 0; i < n; i++) {
      const si = s[b * n + i] as number;
      d[b * n + i] = si * si * (g[from + i * n + i] as number) + add;
    }
  }
}

/** Float32 values at a byte offset of a kernel's memory (a fresh view: a grown memory detaches the old ones). */
export function floats(memory: WebAssembly.Memory, offset: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, offset, length);
}

/** The kernel functions the product needs (lobpcg-kernel.wat). */
export interface OuterKernel {
  memory: WebAssembly.Memory;
  scaleRows(v: number, s: number, out: number, rows: number, n: number): void;
  finishOuter(y: number, v: number, s: number, iota: number, rows: number, n: number): void;
}

/** Where the product keeps its rows in the kernel's memory (byte offsets): the scale rows, a staging block, ι per row. */
export interface OuterLayout {
  scale: number;
  stage: number;
  iota: number;
}

/**
 * Products by J Jᵀ = diag(s) G diag(s) + ι I (BatchedOperator.outerFactors)
 * for rows that live in a WebAssembly kernel's memory, the block of the
 * preconditioned warm run (lobpcg.ts):
 *
 *   A w = s ⊙ ((s ⊙ w) G) + ι w
 *
 * the scalings in the kernel, the product by G on the backend (one matMul
 * on a shared G, a batched one on per-map G's).
 *
 * Why not the operator's applyOuter: per iteration that was three kernels
 * on the backend besides the upload and the read, and every time maps
 * left the block the operator was selected anew (a gather of every factor,
 * 3.4 ms of a fresh SimpleRNN n = 128's measurement). Here leaving maps
 * only move rows in the kernel's memory.
 */
export class FactoredOuter {
  private gram: tf.Tensor2D | tf.Tensor3D;
  /** The per-map G's of the rows still running, where G is per map (gathered at each `keep`). */
  private rowsGram: tf.Tensor3D | null = null;
  private readonly f32: (offset: number, length: number) => Float32Array;

  private constructor(
    factors: OuterFactors,
    private readonly kernel: OuterKernel,
    private readonly at: OuterLayout,
    private readonly n: number,
    /** The cpu backend keeps an uploaded array as the tensor's storage: there the upload is a copy. */
    private readonly copies: boolean,
  ) {
    this.gram = factors.gram;
    this.f32 = (offset, length) => floats(kernel.memory, offset, length);
  }

  /**
   * Reads the factors of `batch` maps into the kernel's memory and writes
   * diag(J Jᵀ) = s² ⊙ diag(G) + ι into `diagonal` (byte offset). Takes
   * ownership of the factors (scale and identity are read and freed; G is
   * kept until dispose).
   */
  static async load(factors: OuterFactors, kernel: OuterKernel, at: OuterLayout, diagonal: number, batch: number, n: number): Promise<FactoredOuter> {
    const { scale, gram, identity } = factors;
    try {
      const expected = [batch, 1, n];
      if (scale.shape.join() !== expected.join()) throw new Error(`outerFactors: scale must be [${expected.join(', ')}], got [${scale.shape.join(', ')}]`);
      const perMap = gram.rank === 3;
      const gramShape = perMap ? [batch, n, n] : [n, n];
      if (gram.shape.join() !== gramShape.join()) throw new Error(`outerFactors: gram must be [${gramShape.join(', ')}], got [${gram.shape.join(', ')}]`);
      if (identity && identity.shape.join() !== [batch, 1, 1].join()) throw new Error(`outerFactors: identity must be [${batch}, 1, 1], got [${identity.shape.join(', ')}]`);
      const f32 = (offset: number, length: number) => floats(kernel.memory, offset, length);
      const s = f32(at.scale, batch * n);
      s.set(await readValues(scale));
      const iota = f32(at.iota, batch);
      if (identity) iota.set(await readValues(identity));
      else iota.fill(0);
      const g = await readValues(gram);
      writeDiagonal(f32(diagonal, batch * n), s, g, iota, perMap ? n * n : 0, n);
    } catch (error) {
      tf.dispose([scale, gram, ...(identity ? [identity] : [])]);
      throw error;
    }
    tf.dispose([scale, ...(identity ? [identity] : [])]);
    return new FactoredOuter(factors, kernel, at, n, tf.getBackend() !== 'wasm');
  }

  /** Rows [0, rows) of the block at `from` through J Jᵀ into `into` (byte offsets into the kernel's memory). */
  product(from: number, into: number, rows: number): void {
    const { kernel, at, n } = this;
    kernel.scaleRows(from, at.scale, at.stage, rows, n);
    const staged = this.f32(at.stage, rows * n);
    const values = this.copies ? staged.slice() : staged;
    const perMap = this.gram.rank === 3;
    const input = perMap ? tf.tensor3d(values, [rows, 1, n]) : tf.tensor2d(values, [rows, n]);
    try {
      const gram = perMap ? (this.rowsGram ?? this.gram) : this.gram;
      const image = tf.matMul(input as tf.Tensor2D, gram as tf.Tensor2D);
      try {
        // dataSync: the run serves only backends that read at once (lobpcgServes).
        this.f32(into, rows * n).set(image.dataSync() as Float32Array);
      } finally {
        image.dispose();
      }
    } finally {
      input.dispose();
    }
    kernel.finishOuter(into, from, at.scale, at.iota, rows, n);
  }

  /**
   * The rows still running are `keep` (ascending indices into the `rows`
   * rows before, `maps` their original indices): their scale and ι move up.
   */
  keep(keep: number[], maps: number[], rows: number): void {
    const { n } = this;
    const scale = this.f32(this.at.scale, rows * n);
    const iota = this.f32(this.at.iota, rows);
    keep.forEach((r, i) => {
      if (r === i) return;
      scale.copyWithin(i * n, r * n, (r + 1) * n);
      iota[i] = iota[r] as number;
    });
    if (this.gram.rank === 3) {
      this.rowsGram?.dispose();
      this.rowsGram = tf.gather(this.gram as tf.Tensor3D, maps);
    }
  }

  dispose(): void {
    this.rowsGram?.dispose();
    this.gram.dispose();
  }
}
