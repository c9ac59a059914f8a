import type * as tf from '@tensorflow/tfjs';
import { cellKind, type CellKind } from '../recurrent-layers.js';
import type { GRUCell, LSTMCell, RNNCell, SimpleRNNCell } from '../tfjs-internals.js';
import type { CotangentObserver, FastCell } from './fast-step.js';
import { gruFastCell, linearizeGRU } from './gru.js';
import type { CellLinearization } from './linearization.js';
import { linearizeLSTM, lstmFastCell } from './lstm.js';
import { linearizeSimpleRNN, simpleRNNFastCell } from './simple-rnn.js';

/** The cell kinds gradscope knows the equations of (one file each in cells/). */
export type BuiltInKind = Exclude<CellKind, 'custom'>;

/**
 * What each built-in cell kind provides. The casts are safe: cellKind()
 * names the kind from the cell's tfjs class name.
 */
const KINDS: Record<BuiltInKind, {
  linearize(cell: RNNCell, x: tf.Tensor2D, sPrev: tf.Tensor2D, sNext: tf.Tensor2D | null): CellLinearization;
  fastCell(cell: RNNCell, observe: CotangentObserver | null): FastCell | null;
}> = {
  simpleRNN: { linearize: (c, x, s, next) => linearizeSimpleRNN(c as SimpleRNNCell, x, s, next), fastCell: (c, o) => simpleRNNFastCell(c as SimpleRNNCell, o) },
  lstm: { linearize: (c, x, s) => linearizeLSTM(c as LSTMCell, x, s), fastCell: (c, o) => lstmFastCell(c as LSTMCell, o) },
  gru: { linearize: (c, x, s) => linearizeGRU(c as GRUCell, x, s), fastCell: (c, o) => gruFastCell(c as GRUCell, o) },
};

/**
 * The analytic Jacobians of a built-in cell around the rows (x, s_{t-1}) of a
 * probe run; `sNext`, where given, the states s_t those rows ended in (no mask).
 */
export function linearizeCell(kind: BuiltInKind, cell: RNNCell, x: tf.Tensor2D, sPrev: tf.Tensor2D, sNext: tf.Tensor2D | null = null): CellLinearization {
  return KINDS[kind].linearize(cell, x, sPrev, sNext);
}

/**
 * The fast step of `cell` for the probe re-run, or null when the re-run must
 * use tfjs's own cell.call (custom cells, softmax gates, activations without
 * a closed-form derivative). The weights are read now: build one per re-run.
 * `observe` is shown the cotangent of every state the steps make.
 */
export function fastCell(cell: RNNCell, observe: CotangentObserver | null = null): FastCell | null {
  const kind = cellKind(cell);
  return kind === 'custom' ? null : KINDS[kind].fastCell(cell, observe);
}
