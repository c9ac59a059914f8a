import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName } from '../activation-jacobian.js';
import type { Activation } from '../tfjs-internals.js';

/**
 * What the probe re-run's fast cell steps share (each cell kind writes its
 * own step in cells/<kind>.ts).
 *
 * Why a fast step: the BPTT adjoint differentiates the loss with respect to
 * the state perturbations only, but tfjs's cells compute z with fused
 * matMuls, whose gradient always computes the weight gradients too, through
 * transposed matMuls that wasm runs ~12× slower than plain ones: 40% of an
 * LSTM's gradient pass went into ∂L/∂R, which nobody asked for. A fast step
 * is tfjs's own forward arithmetic (the cell's `forward`, in tfjs's order,
 * training = false: no dropout) under a tf.customGrad whose backward returns
 * only ∂/∂input and ∂/∂states, with pre-transposed weights. Gate derivatives
 * come from activationJacobian, the closed forms the analytic Jacobians use.
 */
export interface FastCell {
  /** The new states ([h'] or, for LSTM, [h', c']) from the input and the previous states; differentiable. */
  step(input: tf.Tensor, states: tf.Tensor[]): tf.Tensor[];
  /** Frees the weight copies the step holds (transposes, blocks). Call after the gradient pass. */
  dispose(): void;
}

/** Activations whose derivative activationJacobian computes in closed form (no nested tf.grad). */
const CLOSED_FORM = new Set(['linear', 'tanh', 'sigmoid', 'hardSigmoid', 'relu']);

/**
 * Whether a fast step can serve these activations; otherwise (softmax gates,
 * activations without a closed-form derivative) the re-run keeps tfjs's
 * cell.call.
 */
export function closedForm(...activations: Activation[]): boolean {
  return activations.every((a) => CLOSED_FORM.has(activationName(a)));
}

/** φ'(a) of an elementwise activation. */
export const derivative = (activation: Activation, a: tf.Tensor): tf.Tensor => activationJacobian(activation, a).data;

export type Backward = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

/** tf.customGrad with its inputs as a list (its own signature is variadic with `save` last). */
export function customStep(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: Backward },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => f(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as tf.GradSaveFunc));
  return (...inputs) => g(...inputs);
}
