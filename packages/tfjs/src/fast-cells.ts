import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName } from './activation-jacobian.js';
import { readWeight } from './cells/linearization.js';
import { cellKind } from './recurrent-layers.js';

/**
 * The probe re-run's cell step for SimpleRNN, LSTM and GRU cells, with a
 * hand-written gradient (tf.customGrad).
 *
 * Why: the BPTT adjoint differentiates the loss with respect to the state
 * perturbations only, but tfjs's cells compute z with fused matMuls, whose
 * gradient always computes the weight gradients too, through transposed
 * matMuls that wasm runs ~12× slower than plain ones: 40% of an LSTM's
 * gradient pass went into ∂L/∂R, which nobody asked for. Here the backward
 * returns only ∂/∂input and ∂/∂states, with pre-transposed weights.
 *
 * The forward is tfjs's own arithmetic, in the same order (x K, + h R,
 * + b; GRU's bias on the input projection only), with training = false
 * (no dropout). Gate derivatives come from activationJacobian, the same
 * closed forms the analytic Jacobians use; activations without a closed form
 * there (and softmax) keep tfjs's cell.call.
 */
export interface FastCell {
  /** The new states ([h'] or, for LSTM, [h', c']) from the input and the previous states; differentiable. */
  step(input: tf.Tensor, states: tf.Tensor[]): tf.Tensor[];
  /** Frees the transposed weight copies. Call after the gradient pass. */
  dispose(): void;
}

/** Activations whose derivative activationJacobian computes in closed form (no nested tf.grad). */
const CLOSED_FORM = new Set(['linear', 'tanh', 'sigmoid', 'hardSigmoid', 'relu']);

const derivative = (activation: unknown, a: tf.Tensor) => activationJacobian(activation, a).data;

type Backward = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

/** tf.customGrad with its inputs as a list (its own signature is variadic with `save` last). */
function custom(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: Backward }): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => f(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as tf.GradSaveFunc));
  return (...inputs) => g(...inputs);
}
const apply = (activation: any, a: tf.Tensor): tf.Tensor => activation.apply(a);

interface Weights {
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor | null;
  /** Kᵀ and Rᵀ: the backward's matMuls without a transpose flag. */
  kernelT: tf.Tensor2D;
  recurrentT: tf.Tensor2D;
}

function weightsOf(cell: any): Weights {
  const kernel = readWeight(cell.kernel) as tf.Tensor2D;
  const recurrent = readWeight(cell.recurrentKernel) as tf.Tensor2D;
  return { kernel, recurrent, bias: readWeight(cell.bias), kernelT: tf.transpose(kernel), recurrentT: tf.transpose(recurrent) };
}

function simpleRNN(cell: any, w: Weights): FastCell['step'] {
  const step = custom(([x, h], save) => {
    let a = tf.matMul(x! as tf.Tensor2D, w.kernel);
    if (w.bias) a = tf.add(a, w.bias);
    a = tf.add(a, tf.matMul(h! as tf.Tensor2D, w.recurrent));
    save([a]);
    return {
      value: apply(cell.activation, a),
      gradFunc: (dy, saved) => {
        const da = tf.mul(dy, derivative(cell.activation, saved[0]!)) as tf.Tensor2D;
        return [tf.matMul(da, w.kernelT), tf.matMul(da, w.recurrentT)];
      },
    };
  });
  return (input, states) => [step(input, states[0]!)];
}

function lstm(cell: any, w: Weights, n: number): FastCell['step'] {
  const [rec, act] = [cell.recurrentActivation, cell.activation];
  // One output tensor (customGrad's limit): the joint state [h' | c'].
  const step = custom(([x, h, c], save) => {
    let z = tf.add(tf.matMul(x! as tf.Tensor2D, w.kernel), tf.matMul(h! as tf.Tensor2D, w.recurrent));
    if (w.bias) z = tf.add(z, w.bias);
    const [zi, zf, zc, zo] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const cNew = tf.add(tf.mul(apply(rec, zf), c!), tf.mul(apply(rec, zi), apply(act, zc)));
    const hNew = tf.mul(apply(rec, zo), apply(act, cNew));
    save([c!, zi, zf, zc, zo, cNew]);
    return {
      value: tf.concat([hNew, cNew], 1),
      gradFunc: (dy, saved) => {
        const [cPrev, zi, zf, zc, zo, cNew] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const [dh, dc] = tf.split(dy, 2, 1) as [tf.Tensor, tf.Tensor];
        const o = apply(rec, zo);
        const cTotal = tf.add(dc, tf.mul(tf.mul(dh, o), derivative(act, cNew)));
        const dz = tf.concat([
          tf.mul(tf.mul(cTotal, apply(act, zc)), derivative(rec, zi)),
          tf.mul(tf.mul(cTotal, cPrev), derivative(rec, zf)),
          tf.mul(tf.mul(cTotal, apply(rec, zi)), derivative(act, zc)),
          tf.mul(tf.mul(dh, apply(act, cNew)), derivative(rec, zo)),
        ], 1) as tf.Tensor2D;
        return [tf.matMul(dz, w.kernelT), tf.matMul(dz, w.recurrentT), tf.mul(cTotal, apply(rec, zf))];
      },
    };
  });
  return (input, states) => {
    const joint = step(input, states[0]!, states[1]!);
    return tf.split(joint, [n, n], 1);
  };
}

function gru(cell: any, w: Weights, n: number): FastCell['step'] {
  const [rec, act] = [cell.recurrentActivation, cell.activation];
  const [rzr, rh] = tf.split(w.recurrent, [2 * n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [rzrT, rhT] = [tf.transpose(rzr), tf.transpose(rh)];
  const step = custom(([x, h], save) => {
    let xp = tf.matMul(x! as tf.Tensor2D, w.kernel);
    if (w.bias) xp = tf.add(xp, w.bias);
    const [xz, xr, xh] = tf.split(xp, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [hz, hr] = tf.split(tf.matMul(h! as tf.Tensor2D, rzr), 2, 1) as [tf.Tensor, tf.Tensor];
    const az = tf.add(xz, hz);
    const ar = tf.add(xr, hr);
    const z = apply(rec, az);
    const ah = tf.add(xh, tf.matMul(tf.mul(apply(rec, ar), h!) as tf.Tensor2D, rh));
    save([h!, az, ar, ah]);
    return {
      value: tf.add(tf.mul(z, h!), tf.mul(tf.add(1, tf.neg(z)), apply(act, ah))),
      gradFunc: (dy, saved) => {
        const [hPrev, az, ar, ah] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const g = dy;
        const z = apply(rec, az);
        const daz = tf.mul(tf.mul(g, tf.sub(hPrev, apply(act, ah))), derivative(rec, az));
        const dah = tf.mul(tf.mul(g, tf.sub(1, z)), derivative(act, ah)) as tf.Tensor2D;
        const q = tf.matMul(dah, rhT); // cotangent of r⊙h
        const dar = tf.mul(tf.mul(q, hPrev), derivative(rec, ar));
        const dzr = tf.concat([daz, dar], 1) as tf.Tensor2D;
        const dh = tf.addN([tf.mul(g, z), tf.mul(q, apply(rec, ar)), tf.matMul(dzr, rzrT)]);
        return [tf.matMul(tf.concat([dzr, dah], 1) as tf.Tensor2D, w.kernelT), dh];
      },
    };
  });
  const own = [rzr, rh, rzrT, rhT];
  const run: FastCell['step'] = (input, states) => [step(input, states[0]!)];
  return Object.assign(run, { own });
}

/**
 * The fast step of `cell`, or null when the re-run must use tfjs's own
 * cell.call (custom cells, softmax gates, activations without a closed-form
 * derivative). The weights are read now: build one per re-run.
 */
export function fastCell(cell: any): FastCell | null {
  const kind = cellKind(cell);
  if (kind === 'custom') return null;
  const activations = [cell.activation, ...(kind === 'simpleRNN' ? [] : [cell.recurrentActivation])];
  if (!activations.every((a) => CLOSED_FORM.has(activationName(a)))) return null;
  const w = weightsOf(cell);
  const n: number = cell.units;
  const step = kind === 'simpleRNN' ? simpleRNN(cell, w) : kind === 'lstm' ? lstm(cell, w, n) : gru(cell, w, n);
  const own = (step as { own?: tf.Tensor[] }).own ?? [];
  return {
    step,
    dispose: () => tf.dispose([w.kernelT, w.recurrentT, ...own]),
  };
}
