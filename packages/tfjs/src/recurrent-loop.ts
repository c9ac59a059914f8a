import * as tf from '@tensorflow/tfjs';
import type { FastCell } from './cells/fast-step.js';
import { stackAlong, unstackAlong } from './host-split.js';
import { listCustomGrad } from './list-custom-grad.js';
import { clearDropoutMasks, storedStates, type CallKwargs, type RNNCell, type RNNLayer } from './tfjs-internals.js';

/** The sizes of a tfjs cell's states (one for SimpleRNN and GRU, [n, n] for LSTM's h and c). */
export function cellStateSizes(cell: RNNCell): number[] {
  const size = cell.stateSize;
  return Array.isArray(size) ? size.map(Number) : [Number(size)];
}

/**
 * What one cell saw during a re-run, in the layer's processing order. The
 * tensors are kept (tf.keep) because tfjs runs each layer inside its own
 * tidy: whoever receives a record owns and disposes it.
 */
export interface CellRecording {
  /** Cell inputs x_t, [S, T, d]. */
  x: tf.Tensor3D;
  /** Joint state s_{t-1} each step started from (the cell's states concatenated), [S, T, N]. */
  sPrev: tf.Tensor3D;
  /** 1 where the step was taken, 0 where masking copied the state; null without a mask. */
  mask: tf.Tensor2D | null;
  /**
   * The state each step ended in, [S, T, N], for a cell the caller asked it
   * of (runRecurrentLayer's `recordNext`) with one state and no mask: then
   * it is the cell's output at that step (SimpleRNN's φ(a_t)); null
   * otherwise.
   */
  sNext: tf.Tensor3D | null;
}

/**
 * f(inputs) computed off tfjs's gradient tape. Why: the recording (joint
 * states, the stacks of inputs and states) never reaches the loss, but
 * inside the probe's gradient pass tfjs tapes every op and keeps a clone of
 * each input a taped op saves, one Identity kernel apiece: 2 per step for
 * an LSTM's joint state, T per stack. A customGrad's forward runs off the
 * tape, and its backward is never asked for: its output reaches no loss.
 */
function untaped(inputs: tf.Tensor[], f: (inputs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  return listCustomGrad((tensors) => ({ value: f(tensors), gradFunc: () => tensors.map((t) => tf.zerosLike(t)) }))(...inputs);
}

/** Receives one recording per cell when a re-run ends; null: record nothing. */
export type RecordingSink = ((cells: CellRecording[]) => void) | null;

/**
 * Adds ε_t (or nothing) to a cell's states after step t (t = 0: the initial
 * state). `madeByFastStep`: the states are what a fast step returned, unmasked
 * (a mask blends them with the old ones), and not the last step's (which the
 * layer returns), so its CotangentObserver sees their cotangent and they may
 * be passed on as they are (cells/fast-step.ts).
 */
export type Perturb = (cellIndex: number, t: number, states: tf.Tensor[], madeByFastStep: boolean) => tf.Tensor[];

/**
 * Re-runs a tfjs RNN layer's cell loop as RNN.call does — masking,
 * goBackwards, returnSequences, returnState, stateful initial states, and
 * StackedRNNCells with their flat state list in reversed cell order — with
 * training = false (no dropout), logging each cell's inputs and starting
 * states (and, for the cells `recordNext` names, the states they end in),
 * and passing every new state through `perturb`.
 *
 * The output is what the layer's own call returns, so the rest of the model
 * (and its loss) is unchanged.
 */
export function runRecurrentLayer(
  layer: RNNLayer,
  cells: RNNCell[],
  rawInputs: tf.Tensor | tf.Tensor[],
  kwargs: CallKwargs | undefined,
  perturb: Perturb,
  sink: RecordingSink,
  fast: (FastCell | null)[] | null = null,
  recordNext: boolean[] | null = null,
): tf.Tensor | tf.Tensor[] {
  let inputs: tf.Tensor = Array.isArray(rawInputs) ? rawInputs[0]! : rawInputs;
  let flatInitial: tf.Tensor[] | null =
    kwargs?.initialState ?? (Array.isArray(rawInputs) && rawInputs.length > 1 ? rawInputs.slice(1) : null);
  if (flatInitial == null && layer.stateful) flatInitial = storedStates(layer);
  let mask: tf.Tensor | tf.Tensor[] | null = kwargs?.mask ?? null;
  if (Array.isArray(mask)) mask = mask[0] ?? null;
  const samples = inputs.shape[0]!;

  const sizes = cells.map(cellStateSizes);
  let nested: tf.Tensor[][] = [];
  if (flatInitial) {
    const flat = [...flatInitial];
    for (const s of [...sizes].reverse()) nested.push(flat.splice(0, s.length));
    nested.reverse();
  } else {
    nested = sizes.map((s) => s.map((w) => tf.zeros([samples, w])));
  }
  nested = nested.map((states, i) => perturb(i, 0, states, false));

  const steps = inputs.shape[1]!;
  // Cast before reversing: the wasm backend's Reverse kernel reads bool
  // tensors out of bounds (tfjs 4.22), and tfjs's own rnn() casts first too.
  // Through bool first, as tfjs's rnn() does: the steps re-run (and the
  // Jacobians' blend with the identity, exact only for 0 and 1) are the ones
  // tfjs takes, whatever a non-binary mask means to the backend's Cast.
  let maskFloat = mask ? tf.reshape(tf.cast(tf.cast(mask, 'bool'), 'float32'), [samples, steps]) : null;
  if (layer.goBackwards) {
    inputs = tf.reverse(inputs, 1);
    if (maskFloat) maskFloat = tf.reverse(maskFloat, 1);
  }
  const logs = cells.map(() => ({ x: [] as tf.Tensor[], s: [] as tf.Tensor[], next: [] as tf.Tensor[] }));
  // A fast first cell takes its input's terms for all steps at once (FastCell.sequence); it never sees x_t.
  const firstSteps = fast?.[0]?.sequence(inputs) ?? null;
  // Host cuts on wasm and cpu (host-split.ts): on wasm tf.unstack copies the whole input once per step.
  const xs = firstSteps ? null : unstackAlong(inputs, 1);
  const masks = maskFloat ? unstackAlong(tf.expandDims(maskFloat, 2), 1) : null;
  cells.forEach(clearDropoutMasks);

  const outputs: tf.Tensor[] = [];
  let lastOutput: tf.Tensor = nested[nested.length - 1]![0]!;
  for (let t = 0; t < steps; t++) {
    // null: the first cell's input, which firstSteps stands for.
    let input: tf.Tensor | null = xs ? xs[t]! : null;
    const m = masks?.[t];
    const keep = (fresh: tf.Tensor, old: tf.Tensor) => (m ? tf.add(tf.mul(fresh, m), tf.mul(old, tf.sub(1, m))) : fresh);
    for (let i = 0; i < cells.length; i++) {
      const states = nested[i]!;
      if (sink) {
        if (input) logs[i]!.x.push(input);
        logs[i]!.s.push(states.length === 1 ? states[0]! : untaped(states, (parts) => tf.concat(parts, 1)));
      }
      // A fast step (cells/fast-step.ts) returns just the states; tfjs's call returns [output, ...states].
      const step = fast?.[i];
      const out = step ? null : (cells[i]!.call([input!, ...states], { training: false }) as tf.Tensor[]);
      const fresh = !step ? out!.slice(1) : input ? step.step(input, states) : firstSteps!(t, states);
      // Built-in cells return their output as the first state (same tensor):
      // then a perturbation of the state must reach the output too, so that
      // ∂L/∂s_t includes what s_t feeds into later layers directly.
      const outputIsState = out === null || out[0] === out[1];
      // Not at the last step: its states leave the layer, and the model's executor disposes what a layer
      // returns once it is used, which would free the fast step's output while its backward still needs it.
      const next = perturb(i, t + 1, fresh.map((s, j) => keep(s, states[j]!)), step != null && !m && t + 1 < steps);
      nested[i] = next;
      if (sink && recordNext?.[i] && !maskFloat && next.length === 1) logs[i]!.next.push(next[0]!);
      input = outputIsState ? next[0]! : keep(out![0]!, states[0]!);
    }
    lastOutput = input!; // the last cell's output: every layer has a cell
    if (layer.returnSequences) outputs.push(lastOutput);
  }
  cells.forEach(clearDropoutMasks);
  sink?.(
    logs.map((log) => ({
      // The first cell's inputs are the layer's own when it never saw them step by step.
      x: tf.keep(log.x.length > 0 ? untaped(log.x, (parts) => tf.stack(parts, 1)) : untaped([inputs], ([all]) => tf.clone(all!))) as tf.Tensor3D,
      sPrev: tf.keep(untaped(log.s, (parts) => tf.stack(parts, 1))) as tf.Tensor3D,
      mask: maskFloat ? (tf.keep(tf.clone(maskFloat)) as tf.Tensor2D) : null,
      sNext: log.next.length === steps ? (tf.keep(untaped(log.next, (parts) => tf.stack(parts, 1))) as tf.Tensor3D) : null,
    })),
  );
  // Its gradient a host cut (host-split.ts): a next layer's cotangents reach these outputs through it.
  const output = layer.returnSequences ? stackAlong(outputs, 1) : lastOutput;
  if (!layer.returnState) return output;
  const flatStates: tf.Tensor[] = [];
  for (const states of [...nested].reverse()) flatStates.push(...states);
  return [output, ...flatStates];
}
