import * as tf from '@tensorflow/tfjs';
import { fastCell } from './cells/cell-kinds.js';
import type { FastCell } from './cells/fast-step.js';
import { cellStateSizes, runRecurrentLayer, type CellRecording, type Perturb } from './recurrent-loop.js';
import type { LayerTarget } from './recurrent-layers.js';
import { withReplacedCalls, type CallKwargs } from './tfjs-internals.js';

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
 * Calls `body` with every target layer's `call` replaced by a re-run that
 * logs and perturbs; restores the original methods whatever happens.
 */
function withRerun<R>(
  targets: LayerTarget[],
  fast: (FastCell | null)[][],
  perturbFor: (layer: number) => Perturb,
  recordings: CellRecording[][] | null,
  body: () => R,
): R {
  return withReplacedCalls(targets.map((t) => t.layer), (l) => {
    const target = targets[l]!;
    const record = recordings
      ? (cells: CellRecording[]) => {
          if (recordings[l]!.length) throw new Error(`gradscope: layer '${target.name}' ran twice in one forward pass; shared recurrent layers are not supported`);
          recordings[l]!.push(...cells);
        }
      : null;
    return (inputs, kwargs) => runRecurrentLayer(target.layer, target.cells.map((c) => c.cell), inputs, kwargs, perturbFor(l), record, fast[l]!);
  }, body);
}

const asList = (out: tf.Tensor | tf.Tensor[]) => (Array.isArray(out) ? out : [out]);

/**
 * Runs the model on the probe with every target layer re-run by gradscope,
 * recording each cell's inputs, starting states and mask. With a loss, a
 * second pass differentiates the loss with respect to a zero perturbation
 * ε_t added to every state s_t: ∂L/∂ε_t = ∂L/∂s_t, the BPTT adjoint, which
 * includes the direct term a returnSequences output feeds to later layers.
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
  // Built-in cells re-run with a step whose gradient skips the weights (cells/fast-step.ts).
  const fast = targets.map((t) => t.cells.map((c) => fastCell(c.cell)));
  try {
    return rerunAndDifferentiate(model, targets, fast, xs, loss, { ...kwargs, training: false });
  } finally {
    fast.flat().forEach((f) => f?.dispose());
  }
}

function rerunAndDifferentiate(
  model: ProbeRunnable,
  targets: LayerTarget[],
  fast: (FastCell | null)[][],
  xs: tf.Tensor | tf.Tensor[],
  loss: ProbeLoss | undefined,
  kwargs: CallKwargs,
): CellRecord[][] {
  // A fresh kwargs object per pass: Bidirectional.call writes into the one it gets.
  const run = () => model.apply(xs, { ...kwargs }) as tf.Tensor | tf.Tensor[];
  const noPerturb: Perturb = (_i, _t, states) => states;
  const records: CellRecording[][] = targets.map(() => []);
  try {
    tf.tidy(() => {
      withRerun(targets, fast, () => noPerturb, records, run);
    });
    targets.forEach((t, l) => {
      if (records[l]!.length !== t.cells.length) {
        throw new Error(`gradscope: layer '${t.name}' did not run when the model was applied to the probe`);
      }
    });
  } catch (err) {
    records.flat().forEach(disposeRecord);
    throw err;
  }
  if (!loss) return records.map((cells) => cells.map((r) => ({ ...r, gradNorm: null })));

  // ε per cell, step t = 0..T and state j: zeros [S, n_j], shaped from what
  // the recording pass saw. One tensor per (t, j) rather than one [T+1, S, N]
  // unstacked inside the pass: on wasm each of unstack's T+1 slices copies
  // the whole tensor (25–50 ms for an LSTM with T = 100, S = 8, N = 256).
  const epsilons = targets.map((target, l) =>
    target.cells.map((c, i) => {
      const [samples, steps] = records[l]![i]!.sPrev.shape;
      const sizes = cellStateSizes(c.cell);
      return Array.from({ length: steps + 1 }, () => sizes.map((n) => tf.zeros([samples, n]) as tf.Tensor2D));
    }),
  );
  const all = epsilons.flat(3);
  try {
    const norms = tf.tidy(() => {
      const grads = tf.grads((..._e: tf.Tensor[]) => {
        const perturbFor = (l: number): Perturb => (i, t, states) => {
          const e = epsilons[l]![i]![t]!;
          return states.map((s, j) => tf.add(s, e[j]!));
        };
        const value = withRerun(targets, fast, perturbFor, null, () => loss(asList(run())));
        // tf.grads rejects an x that does not reach the loss, and a final
        // state may not (LSTM's c_T without returnState): 0·Σε_T keeps every
        // ε on the tape without changing a value or a gradient.
        const last = epsilons.flat().flatMap((perStep) => perStep[perStep.length - 1]!);
        return tf.add(value, tf.mul(tf.addN(last.map((e) => tf.sum(e))), 0)) as tf.Scalar;
      })(all);
      // ‖∂L/∂s_t‖ over the joint state, per cell as [S, T+1].
      let k = 0;
      return epsilons.flat().map((perStep) => {
        const states = perStep[0]!.length;
        const squares = Array.from({ length: states }, (_, j) =>
          tf.sum(tf.square(tf.stack(perStep.map((_, t) => grads[k + t * states + j]!))), 2),
        );
        k += perStep.length * states;
        return tf.transpose(tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)));
      });
    });
    const values = norms.map((n) => n.arraySync() as number[][]);
    tf.dispose(norms);
    let k = 0;
    return records.map((cells) => cells.map((r) => ({ ...r, gradNorm: values[k++]! })));
  } catch (err) {
    records.flat().forEach(disposeRecord);
    throw err;
  } finally {
    tf.dispose(all);
  }
}

export function disposeRecord(r: { x: tf.Tensor; sPrev: tf.Tensor; mask: tf.Tensor | null }): void {
  tf.dispose([r.x, r.sPrev]);
  if (r.mask) r.mask.dispose();
}
