import * as tf from '@tensorflow/tfjs';
import { denseSpectralNorm, spectralRadius } from '@gradscope/core';
import { readCellWeights } from './cells/linearization.js';
import type { CellKind } from './recurrent-layers.js';
import type { RNNCell, SimpleRNNCell } from './tfjs-internals.js';

/**
 * The square block of the recurrent kernel that plays W_hh's role in the
 * seed's bound ‖J_t‖ ≤ ‖D(φ')‖·‖W_hh‖: all of R for SimpleRNN, the candidate
 * block R_c (columns 2n..3n) for LSTM and R_h for GRU. Gate blocks are not
 * included: their effect shows in the measured ‖J_t‖, not in this bound.
 */
export function recurrentBlock(cell: RNNCell, kind: CellKind): tf.Tensor2D | null {
  if (kind === 'custom') return null;
  // Every built-in cell has kernel, recurrentKernel and bias as SimpleRNNCell does.
  const r = readCellWeights(cell as SimpleRNNCell).recurrent as tf.Tensor2D | null;
  if (!r) return null;
  const n = r.shape[0];
  if (kind === 'simpleRNN') return tf.clone(r);
  return tf.slice(r, [0, 2 * n], [n, n]);
}

/** ‖W‖₂ and ρ(W) of that block; NaN for cells gradscope does not know. */
export async function recurrentKernelNorms(cell: RNNCell, kind: CellKind): Promise<{ norm: number; spectralRadius: number }> {
  const block = recurrentBlock(cell, kind);
  if (!block) return { norm: NaN, spectralRadius: NaN };
  try {
    // On the host (one download of n² floats): a device Lanczos on one
    // n×n matrix costs more than its arithmetic, most of all on an orthogonal
    // kernel, where every singular value is 1 and it runs all its steps.
    const [rows, cols] = block.shape;
    return { norm: denseSpectralNorm(await block.data(), rows, cols), spectralRadius: spectralRadius(block) };
  } finally {
    block.dispose();
  }
}
