import * as tf from '@tensorflow/tfjs';

/**
 * What one measurement leaves for the next: per measured cell, the
 * approximate top right-singular vector of every step Jacobian J_t
 * ([S·T, 1, N]). Between two measurements a few training steps apart the
 * weights, and so the Jacobians, change little, and the per-step Lanczos
 * started from these vectors settles in about a third of the steps it needs
 * from a random start (see bench/RESULTS.md). The numbers are those of a cold
 * measurement to within the Lanczos tolerance.
 *
 * Usage: keep one cache per monitored run, pass it to every measureModel
 * call of that run, dispose it when the run ends:
 *
 *   const cache = new MeasureCache();
 *   await measureModel(model, probe, { cache }); // … every few steps
 *   cache.dispose();
 *
 * An entry is used only when the cell's name and the probe's S, T and N are
 * unchanged; otherwise the cell starts cold and the entry is replaced.
 */
export class MeasureCache {
  private readonly entries = new Map<string, tf.Tensor3D>();

  /** The kept vectors of `cell` if their shape is [rows, 1, size], else undefined. */
  start(cell: string, rows: number, size: number): tf.Tensor3D | undefined {
    const kept = this.entries.get(cell);
    if (!kept || kept.isDisposed || kept.shape[0] !== rows || kept.shape[2] !== size) return undefined;
    return kept;
  }

  /** Keeps `vectors` for `cell` (taking ownership), freeing what was kept before. */
  keep(cell: string, vectors: tf.Tensor3D): void {
    const old = this.entries.get(cell);
    if (old && old !== vectors) old.dispose();
    this.entries.set(cell, vectors);
  }

  /** Number of cells with kept vectors. */
  get size(): number {
    return this.entries.size;
  }

  /** Frees every kept tensor; the cache stays usable (the next measurement starts cold). */
  dispose(): void {
    for (const t of this.entries.values()) t.dispose();
    this.entries.clear();
  }
}
