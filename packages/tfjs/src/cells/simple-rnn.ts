import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName, applyActivation, applyActivationTranspose } from '../activation-jacobian.js';
import type { SimpleRNNCell } from '../tfjs-internals.js';
import { closedForm, customStep, derivative, ForwardTensors, InputProjection, projectedCell, StepFactors, type CotangentObserver, type FastCell } from './fast-step.js';
import { asFactor, biasedInput, factor, readCellWeights, rowsTimes, type CellLinearization, type CellWeights, type Factors } from './linearization.js';

/**
 * Everything gradscope knows about tfjs's SimpleRNN cell: its forward step,
 * its Jacobian as a matrix-free operator, and the probe re-run's fast step.
 *
 * SimpleRNN: h_t = φ(x_t K + b + h_{t-1} R) in tfjs's row convention, so on
 * column perturbations J_t = D(φ'(a_t)) Rᵀ. On rows: v ↦ (v R) ⊙ φ'(a_t), and
 * the transpose v ↦ (v ⊙ φ'(a_t)) Rᵀ.
 */

/**
 * The pre-activation a = x K + b + h R from the input projection `xk` = x K,
 * in SimpleRNNCell.call's order (training = false: no dropout).
 */
export function simpleRNNPreActivation(w: CellWeights, xk: tf.Tensor, h: tf.Tensor2D): tf.Tensor {
  return tf.add(biasedInput(xk, w.bias), tf.matMul(h, w.recurrent));
}

/**
 * @param x inputs of every (sample, step) row, [B, d]
 * @param hPrev the state each row started from, [B, n]
 * @param hNext the state each row ended in, where it is the cell's output
 *   φ(a) (no mask), or null. tanh and sigmoid then take φ' from it
 *   (activationJacobian's `output`) and a = x K + b + h R is not formed:
 *   on a SimpleRNN n = 128, T = 100 that product and φ(a) over the 800 rows
 *   were ~3 of the ~4 ms this linearisation took. φ(a) is then the probe
 *   re-run's, step by step, where the product over all rows could round
 *   the last bit of a differently.
 */
export function linearizeSimpleRNN(cell: SimpleRNNCell, x: tf.Tensor2D, hPrev: tf.Tensor2D, hNext: tf.Tensor2D | null = null): CellLinearization {
  const name = activationName(cell.activation);
  // A snapshot of R: later training steps must not change a measurement.
  const recurrent = tf.clone(readCellWeights(cell).recurrent);
  const recurrentT = tf.transpose(recurrent); // see rowsTimes: no transposed matMul
  let kind: ReturnType<typeof activationJacobian>['kind'] = 'diagonal';
  const fromOutput = hNext !== null && (name === 'tanh' || name === 'sigmoid');
  const factors = tf.tidy(() => {
    // activationJacobian reads only `output` for these two: hNext stands in for a.
    if (fromOutput) return { dAct: asFactor(activationJacobian(cell.activation, hNext, hNext).data) };
    const weights = { ...readCellWeights(cell), recurrent };
    const a = simpleRNNPreActivation(weights, tf.matMul(x, weights.kernel), hPrev);
    const jac = activationJacobian(cell.activation, a);
    kind = jac.kind;
    return { dAct: asFactor(jac.data) };
  });
  // Rᵀ R, for J Jᵀ = D (Rᵀ R) D in one product per Lanczos step (applyOuter
  // below): only for an elementwise φ′, the only case that offers it.
  const gram = kind === 'diagonal' ? (tf.matMul(recurrentT, recurrent) as tf.Tensor2D) : null;
  return {
    kind: 'simpleRNN',
    stateSize: recurrent.shape[0],
    factors,
    activations: { activation: { kind, name } },
    held: gram ? [recurrent, recurrentT, gram] : [recurrent, recurrentT],
    apply: (f, v) => applyActivation(kind, factor(f, 'dAct'), rowsTimes(v, recurrent)) as tf.Tensor3D,
    applyTranspose: (f, v) =>
      rowsTimes(applyActivationTranspose(kind, factor(f, 'dAct'), v) as tf.Tensor3D, recurrentT),
    ...(gram
      ? {
          startVectors: async () => {
            // Exact where R is a multiple c of an orthogonal matrix to float32 rounding (tfjs's default
            // initialiser, any gain, before any step): then J Jᵀ = c² D², whose top direction is the unit with the largest φ'.
            const deviation = tf.tidy(() => {
              const eye = tf.eye(gram.shape[0]);
              const c2 = tf.div(tf.sum(tf.mul(gram, eye)), gram.shape[0]); // the mean diagonal entry
              return tf.div(tf.max(tf.abs(tf.sub(gram, tf.mul(eye, c2)))), c2);
            });
            const exact = ((await deviation.data())[0] as number) <= ORTHOGONAL;
            deviation.dispose();
            return { vectors: tf.tidy(() => structuralStart(factors.dAct, recurrentT)), exact };
          },
          // Rows: w ↦ apply(applyTranspose(w)) = (((w ⊙ φ′) Rᵀ) R) ⊙ φ′ = ((w ⊙ φ′)(Rᵀ R)) ⊙ φ′.
          applyOuter: (f: Factors, w: tf.Tensor3D) => {
            const d = factor(f, 'dAct');
            return tf.mul(rowsTimes(tf.mul(w, d) as tf.Tensor3D, gram), d) as tf.Tensor3D;
          },
          // J Jᵀ = D (Rᵀ R) D: the factors the preconditioned warm per-step run multiplies by (core's lobpcg.ts).
          outerFactors: (f: Factors) => ({ scale: tf.clone(factor(f, 'dAct')), gram: tf.clone(gram), identity: null }),
        }
      : {}),
  };
}

/**
 * Largest |RᵀR − c²I| entry, relative to c² (the mean diagonal), below which
 * R counts as a multiple of an orthogonal matrix and the structural start as
 * exact: tfjs's orthogonal initialiser gives 4e-7–5e-7 at n = 128 and about
 * 2e-6 at n = 1024 (float32); one Adam step at learning rate 1e-3 moves
 * entries by about 1e-3, 5.6e-3 on benchmark 2's model (the seventeenth
 * round of bench/RESULTS.md: there the start is a trap). A non-finite R
 * gives NaN, which is not below it; a zero R gives NaN (0/0), a guess.
 */
const ORTHOGONAL = 1e-5;

/**
 * Where a cold per-step Lanczos starts for SimpleRNN: the row of Rᵀ of the
 * unit with the largest φ' (per row of the batch).
 *
 * Why: the row map is v ↦ (v R) ⊙ φ', so with R orthogonal (tfjs's default
 * initialiser, and near it early in training) its singular values are the
 * φ' themselves, clustered just below 1 for every unit with a small
 * pre-activation (on an untrained n = 128 SimpleRNN the top four within
 * 4e-6–1e-3 of each other), and the right-singular vector of the largest
 * is that unit's row of Rᵀ (v R = e_k). Lanczos cannot separate such a
 * cluster from a start that mixes it (a random one, or the earlier
 * (φ'/max)^32-weighted sum of rows, which weighs the top ten units almost
 * equally: 3.5e-4 short after 32 steps on the 800 maps of
 * bench/accuracy.mjs); from this start the worst is 8e-7 after 12 steps.
 * After training R is no longer orthogonal and the start only a good
 * guess, which the Lanczos then improves like any other. Rows whose φ'
 * all vanish give the first unit's row, a valid start still.
 */
function structuralStart(dAct: tf.Tensor3D, recurrentT: tf.Tensor2D): tf.Tensor3D {
  const [rows, , n] = dAct.shape;
  const top = tf.argMax(tf.abs(tf.reshape(dAct, [rows, n])), 1);
  return tf.reshape(tf.gather(recurrentT, top), [rows, 1, n]) as tf.Tensor3D;
}

/**
 * The probe re-run's SimpleRNN step with a hand-written backward (see
 * fast-step.ts), or null when the activation has no closed-form derivative.
 */
export function simpleRNNFastCell(cell: SimpleRNNCell, observe: CotangentObserver | null = null): FastCell | null {
  if (!closedForm(cell.activation)) return null;
  const w = readCellWeights(cell);
  const recurrentT = tf.transpose(w.recurrent);
  const projection = new InputProjection(w.kernel, w.bias);
  const forward = new ForwardTensors();
  const factors = new StepFactors(([a, y]) => [derivative(cell.activation, a!, y)]);
  // From the input's term x K + b (the projection adds the bias), made for all steps at once in a layer's first cell.
  const step = customStep(([xb, h]) => {
    const a = tf.add(xb!, tf.matMul(h as tf.Tensor2D, w.recurrent));
    // The output too (the new state, which nothing else keeps past the pass): φ' of tanh and sigmoid comes from it.
    const [held, y] = forward.hold(a, cell.activation.apply(a));
    const index = factors.add(held, y);
    return {
      value: y,
      gradFunc: (dy) => {
        const da = tf.mul(dy, factors.get(index)[0]!) as tf.Tensor2D;
        return [da, tf.matMul(da, recurrentT)];
      },
    };
  }, observe);
  return projectedCell(projection, (xb, states) => [step(xb, states[0]!)], () => {
    factors.dispose();
    forward.dispose();
    recurrentT.dispose();
  });
}
