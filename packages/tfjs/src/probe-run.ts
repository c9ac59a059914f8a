import * as tf from '@tensorflow/tfjs';
import { fastCell } from './cells/cell-kinds.js';
import type { FastCell } from './cells/fast-step.js';
import { runRecurrentLayer, type CellRecording, type Perturb } from './recurrent-loop.js';
import { listCustomGrad } from './list-custom-grad.js';
import type { LayerTarget } from './recurrent-layers.js';
import { gradOf, withReplacedCalls, type CallKwargs } from './tfjs-internals.js';

/** What one cell went through on the probe, in the order the layer processes time. */
export interface CellRecord extends CellRecording {
  /** ‖∂L/∂s_t‖ for t = 0..T (index t), per sample [S][T+1]; null without a loss. */
  gradNorm: number[][] | null;
}

/** Scalar loss of the model's outputs on the probe. */
export type ProbeLoss = (outputs: tf.Tensor[]) => tf.Scalar;

/**
 * What the probe is run through: a model, or (for cellJacobians) the
 * recurrent layer itself; either way its `apply` reaches the target layers'
 * `call`.
 */
export type ProbeRunnable = Pick<tf.layers.Layer, 'apply'>;

/**
 * The tensors a layer call computes from: its inputs and initial states.
 * Not kwargs.mask: tfjs's graph executor sets it on one kwargs object it
 * shares across layers and never clears, so a repeated call can carry
 * another layer's mask; a given input tensor has the same mask at every call.
 */
function callInputs(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs | undefined): tf.Tensor[] {
  return [...(Array.isArray(inputs) ? inputs : [inputs]), ...(kwargs?.initialState ?? [])];
}

const sameTensors = (a: tf.Tensor[], b: tf.Tensor[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Calls `body` with every target layer's `call` replaced by a re-run that
 * logs and perturbs; restores the original methods whatever happens.
 *
 * A layer runs once per pass. tfjs's graph executor applies a layer with
 * several outputs (returnState: the sequence and the states) once for each
 * of them that the model reaches, with the same input tensors, and a layer
 * applied twice to the same input is two such calls too. A repeated call
 * gets the first one's outputs again instead of a second re-run (which
 * would record the layer twice and tap its states twice): fresh clones of
 * copies kept in `held` (the caller frees them after the whole pass), since
 * by then the executor, or a wrapper's tidy (Bidirectional, a nested
 * model), may have freed what the first call returned. Gradients reaching
 * the clones add into the first call's states. A call on other inputs is a
 * layer shared between two places in the model, refused before it runs.
 */
function withRerun<R>(
  targets: LayerTarget[],
  fast: (FastCell | null)[][],
  perturbFor: (layer: number) => Perturb,
  recordings: CellRecording[][] | null,
  held: tf.Tensor[],
  body: () => R,
): R {
  const first: ({ inputs: tf.Tensor[]; kept: tf.Tensor[]; list: boolean } | undefined)[] = targets.map(() => undefined);
  return withReplacedCalls(targets.map((t) => t.layer), (l) => {
    const target = targets[l]!;
    const record = recordings ? (cells: CellRecording[]) => void recordings[l]!.push(...cells) : null;
    return (inputs, kwargs) => {
      const given = callInputs(inputs, kwargs);
      const earlier = first[l];
      if (earlier) {
        if (!sameTensors(earlier.inputs, given)) {
          throw new Error(`gradscope: layer '${target.name}' ran twice in one forward pass, on different inputs; shared recurrent layers are not supported`);
        }
        const again = earlier.kept.map((t) => tf.clone(t));
        return earlier.list ? again : again[0]!;
      }
      // The states the steps ended in only where a linearisation reads them (SimpleRNN's φ', cells/simple-rnn.ts).
      const recordNext = target.cells.map((c) => c.kind === 'simpleRNN');
      const output = runRecurrentLayer(target.layer, target.cells.map((c) => c.cell), inputs, kwargs, perturbFor(l), record, fast[l]!, recordNext);
      const kept = asList(output).map((t) => tf.keep(tf.clone(t)));
      held.push(...kept);
      first[l] = { inputs: given, kept, list: Array.isArray(output) };
      return output;
    };
  }, body);
}

const asList = (out: tf.Tensor | tf.Tensor[]) => (Array.isArray(out) ? out : [out]);

/**
 * Runs the model on the probe with every target layer re-run by gradscope,
 * recording each cell's inputs, starting states and mask. With a loss, the
 * same pass is differentiated and the cotangent reaching every state s_t,
 * ∂L/∂s_t, the BPTT adjoint (with the direct term a returnSequences output
 * feeds to later layers), is recorded: by the fast step's backward for a
 * built-in cell's unmasked inner steps, otherwise by an identity tap whose
 * gradient records the cotangent it passes on.
 *
 * @returns per target, per cell, a record whose tensors the caller owns.
 */
export function probeRun(
  model: ProbeRunnable,
  targets: LayerTarget[],
  xs: tf.Tensor | tf.Tensor[],
  loss?: ProbeLoss,
  kwargs: CallKwargs = {},
): CellRecord[][] {
  // Built-in cells re-run with a step whose gradient skips the weights (cells/fast-step.ts); in the
  // gradient pass their backward reports each state's cotangent to `seen.step` (see differentiate).
  const seen: StepCotangents = { step: null };
  const fast = targets.map((t, l) => t.cells.map((c, i) => fastCell(c.cell, (step, dy) => seen.step?.(l, i, step, dy))));
  // Copies of each re-run layer's outputs for repeated calls in the pass (see withRerun), freed after it.
  const held: tf.Tensor[] = [];
  // A fresh kwargs object per pass: Bidirectional.call writes into the one it gets.
  const run = () => model.apply(xs, { ...kwargs, training: false }) as tf.Tensor | tf.Tensor[];
  const records: CellRecording[][] = targets.map(() => []);
  try {
    const gradNorms = loss ? differentiate(targets, fast, records, held, () => loss(asList(run())), seen) : record(targets, fast, records, held, run);
    targets.forEach((t, l) => {
      if (records[l]!.length !== t.cells.length) {
        throw new Error(`gradscope: layer '${t.name}' did not run when the model was applied to the probe`);
      }
    });
    let k = 0;
    return records.map((cells) => cells.map((r) => ({ ...r, gradNorm: gradNorms ? gradNorms[k++]! : null })));
  } catch (err) {
    records.flat().forEach(disposeRecord);
    throw err;
  } finally {
    fast.flat().forEach((f) => f?.dispose());
    tf.dispose(held);
  }
}

/** The forward pass alone, recording. */
function record(targets: LayerTarget[], fast: (FastCell | null)[][], records: CellRecording[][], held: tf.Tensor[], run: () => unknown): null {
  tf.tidy(() => {
    withRerun(targets, fast, () => (_i, _t, states) => states, records, held, () => void run());
  });
  return null;
}

/** Where the fast steps' backward sends the cotangent of the state made at `step` of cell `cell` of target `layer`. */
interface StepCotangents {
  step: ((layer: number, cell: number, step: number, dy: tf.Tensor) => void) | null;
}

/**
 * One forward pass, recording, differentiated with respect to a scalar zero z
 * added to every cell's initial state: every later state depends on z, so
 * the backward pass reaches every state's tap or fast step's backward (and
 * computes no weight gradient). A state that does not reach the loss (LSTM's c_T without
 * returnState) is never tapped: its adjoint is 0.
 *
 * @returns ‖∂L/∂s_t‖ over the joint state, per cell in target order, [S][T+1].
 */
function differentiate(
  targets: LayerTarget[],
  fast: (FastCell | null)[][],
  records: CellRecording[][],
  held: tf.Tensor[],
  lossOfRun: () => tf.Scalar,
  seen: StepCotangents,
): number[][][] {
  // The cotangent each tap passed on, kept: [cell][t] → one per state of the step.
  const cotangents: tf.Tensor[][][] = [];
  const cellBase = targets.map((_, l) => targets.slice(0, l).reduce((n, t) => n + t.cells.length, 0));
  // Whether the tap may keep the cotangent it hands on as it is, or must keep a clone (which shares the data
  // but costs an Identity kernel per state and step). tfjs adds a second gradient of a tensor into the first
  // and disposes the first: a cell's own call may read its new state again (a custom cell's output computed
  // from it), and then the tap's input receives a second gradient and the one kept would be disposed. A fast
  // cell's states (and the initial states' `+ z`) are read by the tap alone, so no second gradient comes.
  const tap = (cell: number, t: number, alone: boolean) => listCustomGrad(([s]) => ({
    value: tf.clone(s!),
    gradFunc: (g) => {
      ((cotangents[cell] ??= [])[t] ??= []).push(tf.keep(alone ? g : tf.clone(g)));
      return g;
    },
  }));
  // The steps t > 0 of each cell whose states a fast step made unmasked: no tap there, the step's own backward is
  // shown the same cotangent (CotangentObserver) and it is kept as a tap would keep it. What that spares
  // is a tap's Identity kernel and tape node per state and step (per step: SimpleRNN's 1 of ~9 kernels in
  // the pass, LSTM's 2). For LSTM the cotangent is the joint [h' | c'], one tensor for the step's two taps.
  const byStep: Set<number>[] = [];
  seen.step = (l, i, step, dy) => {
    const cell = cellBase[l]! + i;
    if (byStep[cell]?.has(step + 1)) ((cotangents[cell] ??= [])[step + 1] ??= []).push(tf.keep(dy));
  };
  const z = tf.scalar(0);
  const failure: { err?: unknown; thrown: boolean } = { thrown: false };
  const steps: number[] = [];
  const samples: number[] = [];
  try {
    tf.tidy(() => {
      gradOf((zero: tf.Tensor) => {
        const perturbFor = (l: number): Perturb => (i, t, states, madeByFastStep) => {
          const cell = cellBase[l]! + i;
          if (t === 0) {
            samples[cell] = states[0]!.shape[0]!;
            states = states.map((s) => tf.add(s, zero));
          }
          steps[cell] = t;
          if (t > 0 && madeByFastStep) {
            (byStep[cell] ??= new Set()).add(t);
            return states;
          }
          const through = tap(cell, t, t === 0 || fast[l]![i] != null);
          return states.map((s) => through(s) as tf.Tensor);
        };
        try {
          // 0·z: the loss stays a function of z even if no state reached it.
          return tf.add(withRerun(targets, fast, perturbFor, records, held, lossOfRun), tf.mul(zero, 0)) as tf.Scalar;
        } catch (err) {
          // tfjs's tf.grad keeps the tensors its function made when the function throws (tfjs 4.22): end the
          // pass with a loss that reaches no tap, so that they are freed as after any pass, and throw after it.
          failure.thrown = true;
          failure.err = err;
          return tf.mul(zero, 0) as tf.Scalar;
        }
      }, z);
    });
    if (failure.thrown) throw failure.err;
    return steps.map((last, cell) => adjointNorms(cotangents[cell] ?? [], last, samples[cell]!));
  } finally {
    seen.step = null;
    z.dispose();
    tf.dispose(cotangents.flat(2));
  }
}

/**
 * ‖∂L/∂s_t‖ per sample [S][T+1] from the cotangents of each step's states:
 * sqrt(Σ_j Σ_c g_j²), in float32 as tfjs would compute
 * sqrt(addN(sum(square(g_j), 1))) cotangent by cotangent, but in a few
 * kernels per cell rather than four per cotangent and step (a third of a
 * SimpleRNN probe run's kernels went into this bookkeeping).
 *
 * The row sums Σ_c g² of each cotangent tensor stay tfjs's (one Square and
 * one Sum over the stacked cotangents of each width: Sum reduces each row on
 * its own, so stacking changes no rounding); the few additions over a step's
 * tensors and the square root are done in float64 and rounded to float32
 * (Math.fround), which gives exactly the float32 result for those tensors:
 * a float64 sum or square root of float32 values rounded once to float32 is
 * the correctly rounded float32 one. Which tensors a step has decides the
 * rounding: an LSTM's steps between the first and the last come as the joint
 * [h | c] from its fast step, whose one float32 row sum rounds differently
 * (by up to ~4e-7 relative) from h's and c's added apart, as its first and
 * last steps' taps give them. Widths differ there ([S, n] and [S, 2n]) and
 * for custom cells whose states differ in width: one stack per width.
 */
export function adjointNorms(perStep: tf.Tensor[][], last: number, samples: number): number[][] {
  const parts = perStep.flat();
  const rowSums: ArrayLike<number>[] = new Array(parts.length);
  const byWidth = new Map<number, number[]>();
  parts.forEach((g, p) => {
    const width = g.shape[1]!;
    const same = byWidth.get(width);
    if (same) same.push(p);
    else byWidth.set(width, [p]);
  });
  for (const indices of byWidth.values()) {
    const all = tf.tidy(() => tf.sum(tf.square(tf.stack(indices.map((p) => parts[p]!))), -1).dataSync());
    indices.forEach((p, j) => (rowSums[p] = all.subarray(j * samples, (j + 1) * samples)));
  }
  const norms = Array.from({ length: samples }, () => new Array<number>(last + 1).fill(0));
  let p = 0;
  for (let t = 0; t <= last; t++) {
    const count = perStep[t]?.length ?? 0;
    if (count === 0) continue; // never tapped (a state that does not reach the loss): 0
    for (let s = 0; s < samples; s++) {
      let sum = rowSums[p]![s]!;
      for (let j = 1; j < count; j++) sum = Math.fround(sum + rowSums[p + j]![s]!);
      norms[s]![t] = Math.fround(Math.sqrt(sum));
    }
    p += count;
  }
  return norms;
}

export function disposeRecord(r: { x: tf.Tensor; sPrev: tf.Tensor; mask: tf.Tensor | null; sNext?: tf.Tensor | null }): void {
  tf.dispose([r.x, r.sPrev]);
  r.sNext?.dispose();
  if (r.mask) r.mask.dispose();
}
