import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName } from '../activation-jacobian.js';
import type { Activation } from '../tfjs-internals.js';
import { splitAlong, unstackAlong } from '../host-split.js';
import { listCustomGrad } from '../list-custom-grad.js';
import { biasedInput } from './linearization.js';

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
 * only ∂/∂(x K) and ∂/∂states, with pre-transposed weights; x K itself is an
 * InputProjection of its own. Gate derivatives come from activationJacobian,
 * the closed forms the analytic Jacobians use.
 */
export interface FastCell {
  /** The new states ([h'] or, for LSTM, [h', c']) from the input and the previous states; differentiable. */
  step(input: tf.Tensor, states: tf.Tensor[]): tf.Tensor[];
  /**
   * The same steps for the layer's first cell, whose inputs are the layer's
   * own [S, T, d] (goBackwards already applied): the input's terms of every
   * step (x K, and the bias where tfjs adds it to x K first) are made for
   * the whole sequence at once (InputProjection.sequence), and the function
   * returned takes step t's states. Calls go in step order, as `step`'s do.
   */
  sequence(inputs: tf.Tensor): (t: number, states: tf.Tensor[]) => tf.Tensor[];
  /** Frees the weight copies the step holds (transposes, blocks) and the forward's kept tensors. Call after the gradient pass. */
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

/** φ'(a) of an elementwise activation; `output`: φ(a) from the forward pass, when at hand (see activationJacobian). */
export const derivative = (activation: Activation, a: tf.Tensor, output?: tf.Tensor): tf.Tensor => activationJacobian(activation, a, output).data;

export type Backward = (dy: tf.Tensor) => tf.Tensor[];

/**
 * Told, in a gradient pass, the cotangent ∂L/∂s that reached the state a
 * fast step made at its `step`-th call (0-based; LSTM's joint [h' | c']),
 * as the step's backward receives it. The tensor is the pass's: keep it to
 * hold it past the pass.
 */
export type CotangentObserver = (step: number, dy: tf.Tensor) => void;

/**
 * A custom gradient per step (listCustomGrad). A step's backward reads its
 * forward's tensors from its closure (see ForwardTensors), not through
 * customGrad's `save`. Each call is one step; `observe` is shown each
 * step's cotangent before its backward runs.
 */
export function customStep(f: (inputs: tf.Tensor[]) => { value: tf.Tensor; gradFunc: Backward }, observe: CotangentObserver | null = null): (...inputs: tf.Tensor[]) => tf.Tensor {
  let calls = 0;
  return listCustomGrad((inputs) => {
    const step = calls++;
    const { value, gradFunc } = f(inputs);
    return {
      value,
      gradFunc: (dy) => {
        observe?.(step, dy);
        return gradFunc(dy);
      },
    };
  });
}

/**
 * The intermediate tensors of a fast cell's forward steps that its backward
 * needs, kept past the step (tf.keep: customGrad runs the forward in a tidy
 * of its own) until the fast cell is disposed, after the gradient pass.
 *
 * Why not customGrad's `save`: it clones every tensor it is given, one
 * Identity kernel each — 11 per LSTM step, 1100 of the 7774 kernels of an
 * LSTM n = 128, T = 100 probe run — and a clone shares the data anyway.
 * The step's own tensors are kept as they are. An input the backward reads
 * (the previous cell state) is kept as a clone: tfjs disposes a layer's
 * tensors when its call returns, before the gradient pass, and the input
 * may be the caller's own (an initial state), not this cell's to dispose.
 */
export class ForwardTensors {
  private held: tf.Tensor[] = [];

  /** Keeps `tensors` until dispose(); returns them. */
  hold<T extends tf.Tensor[]>(...tensors: T): T {
    for (const t of tensors) this.held.push(tf.keep(t));
    return tensors;
  }

  dispose(): void {
    tf.dispose(this.held);
    this.held = [];
  }
}

/**
 * The factors of a fast step's backward that depend on its forward alone
 * (the activations' derivatives, 1 − z, …), made for every step of a
 * forward pass at once when its backward first asks for one.
 *
 * Why: a backward step made them itself, on [S, n] blocks where a kernel
 * costs its dispatch, not its arithmetic: a hardSigmoid derivative is 4
 * kernels, tanh's 2, 16 of an LSTM backward step's 32 (it takes 13 now:
 * the four gate blocks also meet their derivatives in one product). Over
 * all the steps' rows stacked ([T·S, n]) the same elementwise operations
 * give the same numbers in a few dozen kernels; each step's rows then come
 * back as tensors of their own (splitAlong: on wasm and cpu one read and an
 * upload per step). The backward multiplies them in the order it did before,
 * so its cotangents are unchanged to the bit.
 *
 * The forward tensors given to `add` stay the caller's (a ForwardTensors
 * holds them: the backward reads some of them too); the factors are this
 * object's, freed by dispose().
 */
export class StepFactors {
  /** Per step, the forward tensors its factors are made of. */
  private readonly steps: tf.Tensor[][] = [];
  /** Per step, its factors once made; steps before `made` have theirs. */
  private readonly factors: tf.Tensor[][] = [];
  private made = 0;

  /** @param make the factors of stacked steps from their stacked forward tensors (in `add`'s order), elementwise per row */
  constructor(private readonly make: (stacked: tf.Tensor[]) => tf.Tensor[]) {}

  /** Records one forward step's tensors; returns the step's index for get(). */
  add(...tensors: tf.Tensor[]): number {
    this.steps.push(tensors);
    return this.steps.length - 1;
  }

  /** Step `index`'s factors, in make's order; the first ask makes those of every step recorded since the last. */
  get(index: number): tf.Tensor[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.steps.length) {
      throw new Error(`StepFactors.get: no step ${index} was recorded (${this.steps.length} were)`);
    }
    if (index >= this.made) this.makeBatch();
    return this.factors[index]!;
  }

  private makeBatch(): void {
    const batch = this.steps.slice(this.made);
    const rows = batch.map((parts) => parts[0]!.shape[0]!);
    const stacked = tf.tidy(() => this.make(batch[0]!.map((_, j) => tf.concat(batch.map((parts) => parts[j]!), 0))));
    // Kept: the backward asks inside tfjs's gradient scope, which would free them when it ends.
    const blocks: tf.Tensor[][] = [];
    try {
      for (const f of stacked) blocks.push(splitAlong(f, rows, 0).map((b) => tf.keep(b)));
    } catch (err) {
      tf.dispose(blocks.flat());
      throw err;
    } finally {
      tf.dispose(stacked);
    }
    batch.forEach((_, i) => (this.factors[this.made + i] = blocks.map((perStep) => perStep[i]!)));
    this.made = this.steps.length;
  }

  dispose(): void {
    tf.dispose(this.factors.flat());
    this.factors.length = 0;
    this.steps.length = 0;
    this.made = 0;
  }
}

/**
 * x ↦ x K (+ b) as a differentiable op of its own, with Kᵀ (pre-transposed,
 * held here) in its backward. Why apart from the step: the probe's inputs
 * do not depend on the state perturbations, so tfjs's gradient pass leaves
 * this op out, and the step's backward returns ∂/∂(x K) (its dz) for
 * nothing instead of a dz Kᵀ product per step that nobody reads. A stacked
 * cell's input does depend on them, and then this op's backward gives ∂/∂x.
 * The bias, where given, is added to x K inside the op, as SimpleRNN's and
 * GRU's calls add it first (LSTM's adds it after h R: pass none there).
 */
export class InputProjection {
  private readonly kernelT: tf.Tensor2D;
  /** x K (+ b), differentiable. */
  readonly apply: (x: tf.Tensor) => tf.Tensor;

  constructor(kernel: tf.Tensor2D, bias: tf.Tensor | null = null) {
    const kernelT = tf.transpose(kernel);
    this.kernelT = kernelT;
    const project = listCustomGrad(([x]) => ({
      value: biasedInput(tf.matMul(x as tf.Tensor2D, kernel), bias),
      gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, kernelT),
    }));
    this.apply = (x) => project(x);
  }

  /**
   * `apply` for every step of a sequence [S, T, d] at once, cut into the T
   * steps' [S, ·] terms (unstackAlong: on wasm and cpu one read and an
   * upload per step). Why: per step, x_t K and a bias added to it are two
   * kernels on [S, d] rows, each costing its dispatch rather than its
   * arithmetic — 200 of the 774 kernels of a SimpleRNN n = 128, T = 100
   * probe run. Over the S·T rows the same products and additions give the
   * same numbers on wasm and cpu, where each row of a matMul is the same
   * dot products whatever the number of rows (probe-run.test.ts compares
   * the states with tfjs's own cells bit for bit on both), and an addition
   * is elementwise. WebGL computes a product of one row by d > 1000 by a
   * multiply and a sum instead: with one probe sample and such inputs, the
   * per-step x K of tfjs's own call can differ from this one in the last
   * bit there.
   */
  sequence(inputs: tf.Tensor): tf.Tensor[] {
    const [samples, steps, width] = inputs.shape as [number, number, number];
    const terms = this.apply(tf.reshape(inputs, [samples * steps, width]));
    return unstackAlong(tf.reshape(terms, [samples, steps, terms.shape[1]!]), 1);
  }

  dispose(): void {
    this.kernelT.dispose();
  }
}

/**
 * A cell's FastCell from its step on the input's term (what `projection`
 * makes of x: x K, or x K + b) and the states: `step` projects each input
 * as it comes, `sequence` all of a first cell's at once. `dispose` frees
 * the cell's own tensors; the projection is freed with them.
 */
export function projectedCell(projection: InputProjection, from: (term: tf.Tensor, states: tf.Tensor[]) => tf.Tensor[], dispose: () => void): FastCell {
  return {
    step: (input, states) => from(projection.apply(input), states),
    sequence: (inputs) => {
      const terms = projection.sequence(inputs);
      return (t, states) => from(terms[t]!, states);
    },
    dispose: () => {
      dispose();
      projection.dispose();
    },
  };
}
