import * as tf from '@tensorflow/tfjs';
import type { OuterFactors } from '@gradscope/core';
import type { CellKind } from '@gradscope/protocol';
import type { ActivationKind } from '../activation-jacobian.js';

/**
 * Per-(sample, step) tensors a cell's Jacobian needs, each [B, 1, w] with
 * B = S·T rows in sample-major order (row s·T + t). The leading axis is what
 * gets sliced when one time step is wanted; the middle axis of 1 broadcasts
 * against a block of k row vectors [B, k, w].
 */
export type Factors = Record<string, tf.Tensor3D>;

/**
 * The Jacobian J_t = ∂s_t/∂s_{t-1} of one cell kind, linearised around the
 * states a probe run went through. `apply` and `applyTranspose` take the
 * factors of the rows they act on (all of them, or one time step's), so the
 * same code serves the batched per-step norms and the sequential products.
 */
export interface CellLinearization {
  kind: Exclude<CellKind, 'custom'>;
  /** Size of the joint state s (n, or 2n for LSTM's (h, c)). */
  stateSize: number;
  factors: Factors;
  /**
   * Gate values and derivatives for the gate statistics when `factors`
   * holds combined products instead (see lstm.ts, gru.ts); the same layout,
   * but never sliced per step nor gathered. Absent: read them from factors.
   */
  statistics?: Factors;
  apply(f: Factors, v: tf.Tensor3D): tf.Tensor3D;
  applyTranspose(f: Factors, v: tf.Tensor3D): tf.Tensor3D;
  /** apply(applyTranspose(w)) in fewer products, where the cell's structure allows (see BatchedOperator.applyOuter). */
  applyOuter?(f: Factors, w: tf.Tensor3D): tf.Tensor3D;
  /** With applyOuter: J Jᵀ in factored form (see BatchedOperator.outerFactors); the caller disposes it. */
  outerFactors?(f: Factors): OuterFactors;
  /** Activation kinds of the gates, for gate statistics. */
  activations: Record<string, { kind: ActivationKind; name: string }>;
  /** Tensors held in closures (weights); disposed with the factors. */
  held: tf.Tensor[];
  /**
   * Start vectors [B, 1, n] for a cold per-step Lanczos that know the cell's
   * structure (see simple-rnn.ts), and whether they are the exact top
   * right-singular vectors (then the warm rule may end the run; otherwise
   * they are a guess, which spectralNorm checks against a random start);
   * absent: the seeded random start. The caller disposes the vectors.
   */
  startVectors?(): Promise<{ vectors: tf.Tensor3D; exact: boolean }>;
}

/**
 * [B, k, n] · W[n, m] → [B, k, m], as one large matMul. There is no
 * transpose flag on purpose: the wasm backend's matMul with transposeB is
 * ~12× slower than on a pre-transposed copy (45 ms against 3.6 ms for
 * [800, 512]·[512, 128] in tfjs 4.22), so linearisations keep Wᵀ as well.
 */
export function rowsTimes(v: tf.Tensor3D, w: tf.Tensor2D): tf.Tensor3D {
  const [b, k, n] = v.shape;
  return tf.matMul(tf.reshape(v, [b * k, n]), w).reshape([b, k, w.shape[1]]);
}

/**
 * [a | b] along the last axis for [B, k, n] blocks. Concatenated as 2-D
 * [B·k, n] tensors: wasm's concat takes 0.1 ms there against 0.4 ms on the
 * last axis of the 3-D tensors ([800, 1, 128] each, tfjs 4.22).
 */
export function joinRows(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [rows, k, n] = a.shape;
  const m = b.shape[2];
  return tf.concat([tf.reshape(a, [rows * k, n]), tf.reshape(b, [rows * k, m])], 1).reshape([rows, k, n + m]);
}

/** Factor lookup that fails loudly if a linearisation forgot one. */
export function factor(f: Factors, name: string): tf.Tensor3D {
  const t = f[name];
  if (t === undefined) throw new Error(`cell Jacobian: missing factor '${name}'`);
  return t;
}

/** A [B, w] tensor as a [B, 1, w] factor. */
export function asFactor(t: tf.Tensor): tf.Tensor3D {
  return tf.expandDims(t, 1) as tf.Tensor3D;
}

/** Reads a tfjs cell weight (LayerVariable) as a tensor, or null (no bias). */
export function readWeight(variable: tf.LayerVariable | null | undefined): tf.Tensor | null {
  if (variable == null) return null;
  return variable.read();
}

/** A built-in cell's weights as tensors (no copies): z = x K + h R + b. */
export interface CellWeights {
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor | null;
}

/**
 * x K + b from the input projection `xk` = x K: the input's term where the
 * cell adds the bias to it first (SimpleRNN, GRU; LSTM adds it after h R),
 * in the linearisations and in the fast step's InputProjection alike.
 */
export function biasedInput(xk: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  return bias ? tf.add(xk, bias) : xk;
}

/** The weights of a SimpleRNN, LSTM or GRU cell, read now. */
export function readCellWeights(cell: { kernel: tf.LayerVariable; recurrentKernel: tf.LayerVariable; bias: tf.LayerVariable | null }): CellWeights {
  return {
    kernel: readWeight(cell.kernel) as tf.Tensor2D,
    recurrent: readWeight(cell.recurrentKernel) as tf.Tensor2D,
    bias: readWeight(cell.bias),
  };
}
