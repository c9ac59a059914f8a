import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName, applyActivation as act, applyActivationTranspose as actT } from '../activation-jacobian.js';
import type { LSTMCell } from '../tfjs-internals.js';
import { closedForm, customStep, derivative, ForwardTensors, InputProjection, projectedCell, StepFactors, type CotangentObserver, type FastCell } from './fast-step.js';
import { splitAlong } from '../host-split.js';
import { asFactor, factor, joinRows, readCellWeights, rowsTimes, type CellLinearization, type CellWeights, type Factors } from './linearization.js';

/**
 * Everything gradscope knows about tfjs's LSTM cell: its forward step, its
 * Jacobian as a matrix-free operator, and the probe re-run's fast step.
 *
 * LSTM in tfjs: z = x K + h R + b split into gate blocks i, f, c, o (that
 * order); i = σ(z_i), f = σ(z_f), g = φ(z_c), o = σ(z_o) with σ the
 * recurrentActivation (hardSigmoid by default) and φ the activation;
 * c' = f⊙c + i⊙g, h' = o⊙φ(c'). The state is s = (h, c), so J_t is the joint
 * 2n×2n map (δh, δc) ↦ (δh', δc'):
 *   δz_g = δh R_g for each gate block g,
 *   δc' = σ'_f[δz_f]⊙c + f⊙δc + σ'_i[δz_i]⊙g + i⊙φ'_c[δz_c],
 *   δh' = σ'_o[δz_o]⊙φ(c') + o⊙φ'(c')[δc'].
 * Rows are laid out [h | c].
 */

/**
 * One step as tfjs's LSTMCell.call computes it (same order; training =
 * false, so no dropout), from the input projection `xk` = x K.
 */
export function lstmForward(cell: LSTMCell, w: CellWeights, xk: tf.Tensor, h: tf.Tensor2D, c: tf.Tensor) {
  let z = tf.add(xk, tf.matMul(h, w.recurrent));
  if (w.bias) z = tf.add(z, w.bias);
  const q = z.shape[1]! / 4;
  const [zi, zf, zc, zo] = splitAlong(z, [q, q, q, q], 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const i = cell.recurrentActivation.apply(zi);
  const f = cell.recurrentActivation.apply(zf);
  const g = cell.activation.apply(zc);
  const o = cell.recurrentActivation.apply(zo);
  const cNew = tf.add(tf.mul(f, c), tf.mul(i, g));
  const phiC = cell.activation.apply(cNew);
  return { zi, zf, zc, zo, i, f, g, o, c: cNew, phiC, h: tf.mul(o, phiC) };
}

export function linearizeLSTM(cell: LSTMCell, x: tf.Tensor2D, sPrev: tf.Tensor2D): CellLinearization {
  const n = cell.units;
  const recName = activationName(cell.recurrentActivation);
  const actName = activationName(cell.activation);
  // A snapshot of R: later training steps must not change a measurement.
  const recurrent = tf.clone(readCellWeights(cell).recurrent);
  // One [n, n] block per gate and its transpose: four matMuls on the blocks
  // cost what one on [n, 4n] does, and spare the split of its [B, k, 4n]
  // result (SplitV is ~50× an elementwise op on wasm); transposed copies
  // because wasm's transposed matMul is ~12× slower (see rowsTimes).
  const blocks = splitAlong(recurrent, [n, n, n, n], 1) as tf.Tensor2D[];
  const blocksT = blocks.map((b) => tf.transpose(b));
  const [ri, rf, rc, ro] = blocks as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [riT, rfT, rcT, roT] = blocksT as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const kinds: Record<string, ReturnType<typeof activationJacobian>['kind']> = {};
  const factors = tf.tidy(() => {
    const [hPrev, cPrev] = splitAlong(sPrev, [n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
    const weights = { ...readCellWeights(cell), recurrent };
    const { zi, zf, zc, i, f, g, o, c, phiC, zo } = lstmForward(cell, weights, tf.matMul(x, weights.kernel), hPrev, cPrev);
    const jI = activationJacobian(cell.recurrentActivation, zi, i);
    const jF = activationJacobian(cell.recurrentActivation, zf, f);
    const jG = activationJacobian(cell.activation, zc, g);
    const jO = activationJacobian(cell.recurrentActivation, zo, o);
    const jC = activationJacobian(cell.activation, c, phiC);
    Object.assign(kinds, { i: jI.kind, f: jF.kind, g: jG.kind, o: jO.kind, c: jC.kind });
    return {
      i: asFactor(i), f: asFactor(f), g: asFactor(g), o: asFactor(o), cPrev: asFactor(cPrev),
      phiC: asFactor(phiC),
      dI: asFactor(jI.data), dF: asFactor(jF.data), dG: asFactor(jG.data), dO: asFactor(jO.data), dC: asFactor(jC.data),
    };
  });
  const k = (name: string) => kinds[name] ?? 'diagonal';
  const activations = {
    input: { kind: k('i'), name: recName }, forget: { kind: k('f'), name: recName },
    candidate: { kind: k('g'), name: actName }, output: { kind: k('o'), name: recName },
    cell: { kind: k('c'), name: actName },
  };
  const held = [recurrent, ...blocks, ...blocksT];
  if (Object.values(activations).every((a) => a.kind === 'diagonal')) {
    return diagonalLSTM(n, factors, activations, held, { ri, rf, rc, ro, riT, rfT, rcT, roT });
  }
  return {
    kind: 'lstm',
    stateSize: 2 * n,
    factors,
    activations,
    held,
    apply(fs, v) {
      const F = (name: string) => factor(fs, name);
      const [vh, vc] = splitAlong(v, [n, n], 2) as [tf.Tensor3D, tf.Tensor3D];
      const dc = tf.addN([
        tf.mul(act(k('f'), F('dF'), rowsTimes(vh, rf)), F('cPrev')),
        tf.mul(F('f'), vc),
        tf.mul(act(k('i'), F('dI'), rowsTimes(vh, ri)), F('g')),
        tf.mul(F('i'), act(k('g'), F('dG'), rowsTimes(vh, rc))),
      ]);
      const dh = tf.add(tf.mul(act(k('o'), F('dO'), rowsTimes(vh, ro)), F('phiC')), tf.mul(F('o'), act(k('c'), F('dC'), dc)));
      return joinRows(dh as tf.Tensor3D, dc as tf.Tensor3D);
    },
    applyTranspose(fs, v) {
      const F = (name: string) => factor(fs, name);
      const [gh, gc] = splitAlong(v, [n, n], 2) as [tf.Tensor3D, tf.Tensor3D];
      const gcTotal = tf.add(gc, actT(k('c'), F('dC'), tf.mul(F('o'), gh)));
      const toH = tf.addN([
        rowsTimes(actT(k('i'), F('dI'), tf.mul(gcTotal, F('g'))) as tf.Tensor3D, riT),
        rowsTimes(actT(k('f'), F('dF'), tf.mul(gcTotal, F('cPrev'))) as tf.Tensor3D, rfT),
        rowsTimes(actT(k('g'), F('dG'), tf.mul(gcTotal, F('i'))) as tf.Tensor3D, rcT),
        rowsTimes(actT(k('o'), F('dO'), tf.mul(gh, F('phiC'))) as tf.Tensor3D, roT),
      ]);
      return joinRows(toH as tf.Tensor3D, tf.mul(gcTotal, F('f')) as tf.Tensor3D);
    },
  };
}

type Blocks = Record<'ri' | 'rf' | 'rc' | 'ro' | 'riT' | 'rfT' | 'rcT' | 'roT', tf.Tensor2D>;

/**
 * The usual case, every gate elementwise (no softmax): the diagonal factors
 * that always meet are multiplied once here instead of in every apply,
 *   A_i = σ'_i⊙g, A_f = σ'_f⊙c, A_g = i⊙φ'_g, A_o = σ'_o⊙φ(c'), B = o⊙φ'(c'),
 * so δc' = A_i⊙δz_i + A_f⊙δz_f + A_g⊙δz_c + f⊙δc and δh' = A_o⊙δz_o + B⊙δc':
 * six factors instead of eleven to slice per step and to gather when
 * converged maps leave the Lanczos batch, and half the elementwise kernels
 * per apply. The gate values stay available for the gate statistics.
 */
function diagonalLSTM(n: number, general: Factors, activations: CellLinearization['activations'], held: tf.Tensor[], r: Blocks): CellLinearization {
  const G = (name: string) => factor(general, name);
  const factors = tf.tidy(() => ({
    ai: tf.mul(G('dI'), G('g')) as tf.Tensor3D,
    af: tf.mul(G('dF'), G('cPrev')) as tf.Tensor3D,
    ag: tf.mul(G('i'), G('dG')) as tf.Tensor3D,
    ao: tf.mul(G('dO'), G('phiC')) as tf.Tensor3D,
    b: tf.mul(G('o'), G('dC')) as tf.Tensor3D,
    f: G('f'),
  }));
  const statistics: Factors = { i: G('i'), f: G('f'), o: G('o'), dI: G('dI'), dF: G('dF'), dO: G('dO'), dG: G('dG') };
  tf.dispose([G('g'), G('cPrev'), G('phiC'), G('dC')]);
  return {
    kind: 'lstm',
    stateSize: 2 * n,
    factors,
    statistics,
    activations,
    held,
    apply(fs, v) {
      const F = (name: string) => factor(fs, name);
      const [vh, vc] = splitAlong(v, [n, n], 2) as [tf.Tensor3D, tf.Tensor3D];
      const dc = tf.addN([
        tf.mul(rowsTimes(vh, r.ri), F('ai')),
        tf.mul(rowsTimes(vh, r.rf), F('af')),
        tf.mul(rowsTimes(vh, r.rc), F('ag')),
        tf.mul(F('f'), vc),
      ]) as tf.Tensor3D;
      const dh = tf.add(tf.mul(rowsTimes(vh, r.ro), F('ao')), tf.mul(F('b'), dc)) as tf.Tensor3D;
      return joinRows(dh, dc);
    },
    applyTranspose(fs, v) {
      const F = (name: string) => factor(fs, name);
      const [gh, gc] = splitAlong(v, [n, n], 2) as [tf.Tensor3D, tf.Tensor3D];
      const gcTotal = tf.add(gc, tf.mul(F('b'), gh)) as tf.Tensor3D;
      const toH = tf.addN([
        rowsTimes(tf.mul(gcTotal, F('ai')) as tf.Tensor3D, r.riT),
        rowsTimes(tf.mul(gcTotal, F('af')) as tf.Tensor3D, r.rfT),
        rowsTimes(tf.mul(gcTotal, F('ag')) as tf.Tensor3D, r.rcT),
        rowsTimes(tf.mul(gh, F('ao')) as tf.Tensor3D, r.roT),
      ]) as tf.Tensor3D;
      return joinRows(toH, tf.mul(gcTotal, F('f')) as tf.Tensor3D);
    },
  };
}

/**
 * The probe re-run's LSTM step with a hand-written backward (see
 * fast-step.ts), or null when an activation has no closed-form derivative.
 * One output tensor (customGrad's limit): the joint state [h' | c'].
 */
export function lstmFastCell(cell: LSTMCell, observe: CotangentObserver | null = null): FastCell | null {
  const [rec, act] = [cell.recurrentActivation, cell.activation];
  if (!closedForm(act, rec)) return null;
  const n = cell.units;
  const w = readCellWeights(cell);
  const recurrentT = tf.transpose(w.recurrent);
  const projection = new InputProjection(w.kernel);
  const forward = new ForwardTensors();
  // Per step: the gates' derivatives side by side [i | f | g | o], as dz lays them out, and φ'(c').
  const factors = new StepFactors(([zi, i, zf, f, zc, g, zo, o, cNew, phiC]) => [
    tf.concat([derivative(rec, zi!, i), derivative(rec, zf!, f), derivative(act, zc!, g), derivative(rec, zo!, o)], 1),
    derivative(act, cNew!, phiC),
  ]);
  const step = customStep(([xk, h, c]) => {
    const s = lstmForward(cell, w, xk!, h as tf.Tensor2D, c!);
    const [cPrev, zi, zf, zc, zo, cNew, i, f, g, o, phiC] = forward.hold(tf.clone(c!), s.zi, s.zf, s.zc, s.zo, s.c, s.i, s.f, s.g, s.o, s.phiC);
    const index = factors.add(zi, i, zf, f, zc, g, zo, o, cNew, phiC);
    return {
      value: tf.concat([s.h, cNew], 1),
      gradFunc: (dy) => {
        const [gates, cellDerivative] = factors.get(index) as [tf.Tensor, tf.Tensor];
        const [dh, dc] = splitAlong(dy, [n, n], 1) as [tf.Tensor, tf.Tensor];
        const cTotal = tf.add(dc, tf.mul(tf.mul(dh, o), cellDerivative));
        // Each block (cotangent ⊙ forward value) ⊙ derivative, in that order as before the factors were batched.
        const dz = tf.mul(tf.concat([tf.mul(cTotal, g), tf.mul(cTotal, cPrev), tf.mul(cTotal, i), tf.mul(dh, phiC)], 1), gates) as tf.Tensor2D;
        return [dz, tf.matMul(dz, recurrentT), tf.mul(cTotal, f)];
      },
    };
  }, observe);
  // From x K alone: LSTMCell.call adds the bias after h R, so it stays in the step.
  return projectedCell(projection, (xk, states) => splitAlong(step(xk, states[0]!, states[1]!), [n, n], 1), () => {
    factors.dispose();
    forward.dispose();
    recurrentT.dispose();
  });
}
