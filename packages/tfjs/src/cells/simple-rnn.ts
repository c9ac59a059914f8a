import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName, applyActivation, applyActivationTranspose } from '../activation-jacobian.js';
import { asFactor, factor, readWeight, rowsTimes, type CellLinearization } from './linearization.js';

/**
 * SimpleRNN: h_t = φ(x_t K + b + h_{t-1} R) in tfjs's row convention, so on
 * column perturbations J_t = D(φ'(a_t)) Rᵀ. On rows: v ↦ (v R) ⊙ φ'(a_t), and
 * the transpose v ↦ (v ⊙ φ'(a_t)) Rᵀ.
 *
 * @param x inputs of every (sample, step) row, [B, d]
 * @param hPrev the state each row started from, [B, n]
 */
export function linearizeSimpleRNN(cell: any, x: tf.Tensor2D, hPrev: tf.Tensor2D): CellLinearization {
  const name = activationName(cell.activation);
  // A snapshot of R: later training steps must not change a measurement.
  const recurrent = tf.clone(readWeight(cell.recurrentKernel) as tf.Tensor2D);
  const recurrentT = tf.transpose(recurrent); // see rowsTimes: no transposed matMul
  let kind: ReturnType<typeof activationJacobian>['kind'] = 'diagonal';
  const factors = tf.tidy(() => {
    const kernel = readWeight(cell.kernel) as tf.Tensor2D;
    const bias = readWeight(cell.bias);
    let a = tf.add(tf.matMul(x, kernel), tf.matMul(hPrev, recurrent));
    if (bias) a = tf.add(a, bias);
    const jac = activationJacobian(cell.activation, a);
    kind = jac.kind;
    return { dAct: asFactor(jac.data) };
  });
  return {
    kind: 'simpleRNN',
    stateSize: recurrent.shape[0],
    factors,
    activations: { activation: { kind, name } },
    held: [recurrent, recurrentT],
    apply: (f, v) => applyActivation(kind, factor(f, 'dAct'), rowsTimes(v, recurrent)) as tf.Tensor3D,
    applyTranspose: (f, v) =>
      rowsTimes(applyActivationTranspose(kind, factor(f, 'dAct'), v) as tf.Tensor3D, recurrentT),
  };
}
