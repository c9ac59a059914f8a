import * as tf from '@tensorflow/tfjs';
import { denseSequence, type JacobianSequence } from '@gradscope/core';
import { autodiffCellJacobians } from './autodiff-jacobian.js';
import { cellSequence } from './cell-sequence.js';
import { linearizeCell } from './cells/cell-kinds.js';
import type { CellLinearization } from './cells/linearization.js';
import { disposeRecord, probeRun, type CellRecord } from './probe-run.js';
import { targetsOfLayer, type CellKind, type CellTarget } from './recurrent-layers.js';

import type { JacobianMethod } from '@gradscope/protocol';

export type { JacobianMethod };

export interface CellJacobians {
  /** 'lstm_1', 'bidi/forward', 'rnn_1/cell_0' … */
  name: string;
  kind: CellKind;
  method: JacobianMethod;
  /** J_t for every probe sample and step, matrix-free; dispose() when done. */
  sequence: JacobianSequence;
  /** [S, T, N, N] when `dense: true` was asked for. */
  dense?: tf.Tensor4D;
}

export interface CellJacobiansOptions {
  /** 'auto' (default): analytic for SimpleRNN, LSTM and GRU cells, autodiff for any other cell. */
  method?: 'auto' | JacobianMethod;
  /** Also materialise the dense Jacobians [S, T, N, N] (memory S·T·N² floats). */
  dense?: boolean;
  /** Mask [S, T] (truthy = step taken), as tfjs's Masking or Embedding(maskZero) produce. */
  mask?: tf.Tensor;
}

export function resolveMethod(kind: CellKind, requested: 'auto' | JacobianMethod = 'auto'): JacobianMethod {
  if (requested === 'analytic' && kind === 'custom') {
    throw new Error(`gradscope: method 'analytic' needs a SimpleRNN, LSTM or GRU cell; this cell is custom (use 'auto' or 'autodiff')`);
  }
  if (requested !== 'auto') return requested;
  return kind === 'custom' ? 'autodiff' : 'analytic';
}

/** A cell's Jacobian sequence, and the linearisation behind it when analytic. */
export interface BuiltSequence {
  sequence: JacobianSequence;
  /** Owned by `sequence` (freed by its dispose()); read gate values from it before. */
  linearization: CellLinearization | null;
}

/**
 * The Jacobian sequence of one cell around the states of a probe run.
 * Does not take ownership of `record`. Its `sNext` (the states the steps
 * ended in, recorded without a mask) lets a linearisation take φ' from the
 * cell's outputs instead of computing them again (cells/simple-rnn.ts).
 */
export function buildCellSequence(target: CellTarget, record: Pick<CellRecord, 'x' | 'sPrev' | 'mask'> & Partial<Pick<CellRecord, 'sNext'>>, method: JacobianMethod): BuiltSequence {
  const [samples, steps, width] = record.sPrev.shape;
  const x = tf.reshape(record.x, [samples * steps, record.x.shape[2]]) as tf.Tensor2D;
  const s = tf.reshape(record.sPrev, [samples * steps, width]) as tf.Tensor2D;
  const next = record.sNext && !record.mask ? (tf.reshape(record.sNext, [samples * steps, width]) as tf.Tensor2D) : null;
  try {
    if (method === 'analytic' && target.kind !== 'custom') {
      const lin = linearizeCell(target.kind, target.cell, x, s, next);
      return { sequence: cellSequence(lin, samples, steps, record.mask ? tf.clone(record.mask) : null), linearization: lin };
    }
    const dense = tf.tidy(() => {
      let j: tf.Tensor = autodiffCellJacobians(target.cell, x, s);
      if (record.mask) {
        const m = tf.reshape(record.mask, [samples * steps, 1, 1]);
        j = tf.add(tf.mul(m, j), tf.mul(tf.sub(1, m), tf.eye(width).expandDims(0)));
      }
      return tf.reshape(j, [samples, steps, width, width]);
    });
    const sequence = denseSequence(dense);
    dense.dispose();
    return { sequence, linearization: null };
  } finally {
    tf.dispose([x, s]);
    next?.dispose();
  }
}

/** Dense [S, T, N, N] from any sequence: apply every J_t to the identity rows. */
export function densify(sequence: JacobianSequence): tf.Tensor4D {
  const { samples, steps, size } = sequence;
  return tf.tidy(() => {
    const eye = tf.tile(tf.eye(size).expandDims(0), [samples * steps, 1, 1]) as tf.Tensor3D;
    // Rows e_j ↦ (J e_j)ᵀ = column j of J, so the result is Jᵀ per batch entry.
    const columns = sequence.all().apply(eye);
    return tf.reshape(tf.transpose(columns, [0, 2, 1]), [samples, steps, size, size]) as tf.Tensor4D;
  });
}

/**
 * Re-runs a recurrent layer's cell(s) on `probeInputs` — the sequence the
 * layer receives, [S, T, d] — and returns the per-step Jacobians of each
 * cell: one entry for SimpleRNN/LSTM/GRU/RNN layers, one per cell for
 * StackedRNNCells, two (forward, backward) for Bidirectional.
 *
 * Time runs in the order the layer processes it (reversed for goBackwards).
 * Recurrent dropout is off (training = false), as in inference.
 */
export function cellJacobians(layer: tf.layers.Layer, probeInputs: tf.Tensor, options: CellJacobiansOptions = {}): CellJacobians[] {
  const targets = targetsOfLayer(layer);
  if (targets.length === 0) {
    const cls = typeof layer?.getClassName === 'function' ? layer.getClassName() : typeof layer;
    throw new Error(`cellJacobians: layer '${layer?.name}' (${cls}) is not a recurrent layer (SimpleRNN, LSTM, GRU, RNN or Bidirectional)`);
  }
  if (probeInputs.rank !== 3) {
    throw new Error(`cellJacobians: probeInputs must be [samples, steps, features], got shape [${probeInputs.shape.join(', ')}]`);
  }
  // The re-run measureModel uses, with the layer itself as the model.
  const methods = targets.map((t) => t.cells.map((cell) => resolveMethod(cell.kind, options.method)));
  const records = probeRun(layer, targets, probeInputs, undefined, options.mask ? { mask: options.mask } : {});
  const results: CellJacobians[] = [];
  try {
    targets.forEach((target, l) => {
      target.cells.forEach((cell, i) => {
        const method = methods[l]![i]!;
        const { sequence } = buildCellSequence(cell, records[l]![i]!, method);
        const entry: CellJacobians = { name: cell.name, kind: cell.kind, method, sequence };
        if (options.dense) entry.dense = densify(sequence);
        results.push(entry);
      });
    });
  } finally {
    records.flat().forEach(disposeRecord);
  }
  return results;
}
