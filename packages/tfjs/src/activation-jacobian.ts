import * as tf from '@tensorflow/tfjs';
import { gradOf } from './tfjs-internals.js';

/**
 * The Jacobian of a tfjs activation φ at pre-activations a, kept as data so
 * it can be sliced per time step and applied to row vectors later.
 *
 * Elementwise activations (tanh, sigmoid, hardSigmoid, relu, …) have a
 * diagonal Jacobian D(φ'(a)): `data` holds φ'(a). softmax and logSoftmax mix
 * the units of one row, so `data` holds the softmax output s and the operator
 * is applied in closed form (diag(s) − s sᵀ, and I − 1 sᵀ).
 */
export type ActivationKind = 'diagonal' | 'softmax' | 'logSoftmax';

export interface ActivationJacobian {
  kind: ActivationKind;
  /** φ'(a) for diagonal kinds, softmax(a) otherwise; same shape as a. */
  data: tf.Tensor;
}

/** The largest value φ' takes, used to call a unit saturated when φ' < 10% of it. */
const MAX_DERIVATIVE: Record<string, number> = {
  tanh: 1,
  sigmoid: 0.25,
  hardSigmoid: 0.2,
  linear: 1,
  relu: 1,
  relu6: 1,
  softsign: 1,
  softplus: 1,
};

export function maxDerivative(activationName: string): number {
  return MAX_DERIVATIVE[activationName] ?? 1;
}

/** The tfjs class name of a layer's activation object ('tanh', 'hardSigmoid', …). */
export function activationName(activation: unknown): string {
  const named = activation as { getClassName?: () => string } | null;
  if (named == null || typeof named.getClassName !== 'function') {
    throw new Error(`activationName: expected a tfjs activation object, got ${String(activation)}`);
  }
  return named.getClassName();
}

/**
 * φ'(a) or softmax(a) for the activation object `activation` at `a`.
 * Closed forms for the common activations (fast, and they state what tfjs
 * does: hardSigmoid = clip(0.2a + 0.5, 0, 1) has derivative 0.2 on the
 * closed interval [−2.5, 2.5], as tfjs's clipByValue gradient keeps the
 * endpoints, and exactly 0 outside). Every other elementwise activation is
 * differentiated by tfjs itself, so the value is the one backprop uses.
 *
 * `output`: φ(a), when the caller has it from its forward pass. tanh and
 * sigmoid then take φ' from it (1 − φ², φ(1 − φ)) instead of computing φ(a)
 * again: the same numbers (tfjs's kernels are deterministic), one kernel
 * fewer per call, which the probe re-run makes at every time step.
 */
export function activationJacobian(activation: unknown, a: tf.Tensor, output?: tf.Tensor): ActivationJacobian {
  const name = activationName(activation);
  const apply = (x: tf.Tensor) => (activation as { apply(x: tf.Tensor): tf.Tensor }).apply(x);
  const kind: ActivationKind = name === 'softmax' ? 'softmax' : name === 'logSoftmax' ? 'logSoftmax' : 'diagonal';
  const data = tf.tidy(() => {
    switch (name) {
      case 'linear':
        return tf.onesLike(a);
      case 'tanh':
        return tf.sub(1, tf.square(output ?? tf.tanh(a)));
      case 'sigmoid': {
        const y = output ?? tf.sigmoid(a);
        return tf.mul(y, tf.sub(1, y));
      }
      case 'hardSigmoid':
        return tf.mul(0.2, tf.cast(tf.lessEqual(tf.abs(a), 2.5), 'float32'));
      case 'relu':
        return tf.cast(tf.greater(a, 0), 'float32');
      case 'softmax':
      case 'logSoftmax':
        return tf.softmax(a);
      default:
        // Elementwise by construction (every remaining tfjs activation is), so
        // the gradient of Σφ(a) is exactly φ'(a).
        return gradOf((x: tf.Tensor) => tf.sum(apply(x)), a);
    }
  });
  return { kind, data };
}

/**
 * Rows u ↦ (J_φ uᵀ)ᵀ, with `data` broadcastable against u (e.g. [B,1,n] vs [B,k,n]).
 */
export function applyActivation(kind: ActivationKind, data: tf.Tensor, u: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'diagonal':
      return tf.mul(u, data);
    case 'softmax': // (diag(s) − s sᵀ) u: symmetric
      return tf.mul(data, tf.sub(u, tf.sum(tf.mul(data, u), -1, true)));
    case 'logSoftmax': // ∂ log s_i/∂a_j = δ_ij − s_j, so J u = u − (sᵀu) 1
      return tf.sub(u, tf.sum(tf.mul(data, u), -1, true));
  }
}

/** Rows u ↦ (J_φᵀ uᵀ)ᵀ. */
export function applyActivationTranspose(kind: ActivationKind, data: tf.Tensor, u: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'diagonal':
    case 'softmax':
      return applyActivation(kind, data, u);
    case 'logSoftmax': // Jᵀ u = u − s (1ᵀu)
      return tf.sub(u, tf.mul(data, tf.sum(u, -1, true)));
  }
}
