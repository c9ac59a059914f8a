import * as tf from '@tensorflow/tfjs';
import { activationJacobian, activationName, applyActivation as act, applyActivationTranspose as actT } from '../activation-jacobian.js';
import type { GRUCell } from '../tfjs-internals.js';
import { splitAlong } from '../host-split.js';
import { closedForm, customStep, derivative, ForwardTensors, InputProjection, projectedCell, StepFactors, type CotangentObserver, type FastCell } from './fast-step.js';
import { asFactor, biasedInput, factor, readCellWeights, rowsTimes, type CellLinearization, type CellWeights, type Factors } from './linearization.js';

/**
 * Everything gradscope knows about tfjs's GRU cell: its forward step, its
 * Jacobian as a matrix-free operator, and the probe re-run's fast step.
 *
 * GRU in tfjs (reset_after = false is the only variant): gate blocks z, r, h;
 * the bias is added to the input projection only.
 *   z = σ(x_z + h R_z), r = σ(x_r + h R_r), ĥ = φ(x_h + (r⊙h) R_h),
 *   h' = z⊙h + (1−z)⊙ĥ.
 * Forward perturbation: δz = σ'_z[δh R_z], δr = σ'_r[δh R_r],
 *   δĥ = φ'[(δr⊙h + r⊙δh) R_h], δh' = δz⊙(h − ĥ) + z⊙δh + (1−z)⊙δĥ.
 */

/** R split as tfjs uses it: [R_z | R_r] (2n columns) and R_h (n columns). */
export interface GRURecurrent {
  rzr: tf.Tensor2D;
  rh: tf.Tensor2D;
}

/**
 * One step as tfjs's GRUCell.call computes it (same order; training =
 * false, so no dropout), from the input projection `xk` = x K.
 */
export function gruForward(cell: GRUCell, w: CellWeights, r: GRURecurrent, xk: tf.Tensor, h: tf.Tensor2D) {
  return gruForwardFrom(cell, r, biasedInput(xk, w.bias), h);
}

/** The same step from the input's term `xb` = x K + b, which the fast step's first cell makes for all steps at once. */
function gruForwardFrom(cell: GRUCell, r: GRURecurrent, xb: tf.Tensor, h: tf.Tensor2D) {
  const n = r.rh.shape[1];
  const [xz, xr, xh] = splitAlong(xb, [n, n, n], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hz, hr] = splitAlong(tf.matMul(h, r.rzr), [n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
  const az = tf.add(xz, hz);
  const ar = tf.add(xr, hr);
  const z = cell.recurrentActivation.apply(az);
  const reset = cell.recurrentActivation.apply(ar);
  const ah = tf.add(xh, tf.matMul(tf.mul(reset, h) as tf.Tensor2D, r.rh));
  const candidate = cell.activation.apply(ah);
  return { az, ar, ah, z, r: reset, candidate, h: tf.add(tf.mul(z, h), tf.mul(tf.add(1, tf.neg(z)), candidate)) };
}

/** [R_z | R_r] and R_h of a GRU cell's recurrent kernel (new tensors). */
function splitRecurrent(recurrent: tf.Tensor2D, n: number): GRURecurrent {
  const [rzr, rh] = splitAlong(recurrent, [2 * n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { rzr, rh };
}

export function linearizeGRU(cell: GRUCell, x: tf.Tensor2D, hPrev: tf.Tensor2D): CellLinearization {
  const n = cell.units;
  const recName = activationName(cell.recurrentActivation);
  const actName = activationName(cell.activation);
  const { rzr, rh } = splitRecurrent(readCellWeights(cell).recurrent, n);
  // Per-gate blocks and their transposes, as in lstm.ts: no split of a
  // [B, k, 2n] product and no transposed matMul on the operator's hot path.
  const [rz, rr] = splitAlong(rzr, [n, n], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [rzT, rrT, rhT] = [tf.transpose(rz), tf.transpose(rr), tf.transpose(rh)];
  const kinds: Record<string, ReturnType<typeof activationJacobian>['kind']> = {};
  const factors = tf.tidy(() => {
    const weights = readCellWeights(cell);
    const { az, ar, ah, z, r, candidate } = gruForward(cell, weights, { rzr, rh }, tf.matMul(x, weights.kernel), hPrev);
    const jZ = activationJacobian(cell.recurrentActivation, az, z);
    const jR = activationJacobian(cell.recurrentActivation, ar, r);
    const jH = activationJacobian(cell.activation, ah, candidate);
    Object.assign(kinds, { z: jZ.kind, r: jR.kind, h: jH.kind });
    return {
      z: asFactor(z), r: asFactor(r), hPrev: asFactor(hPrev), hMinusCandidate: asFactor(tf.sub(hPrev, candidate)),
      dZ: asFactor(jZ.data), dR: asFactor(jR.data), dH: asFactor(jH.data),
    };
  });
  const k = (name: string) => kinds[name] ?? 'diagonal';
  const activations = {
    update: { kind: k('z'), name: recName }, reset: { kind: k('r'), name: recName },
    candidate: { kind: k('h'), name: actName },
  };
  const held = [rzr, rh, rz, rr, rzT, rrT, rhT];
  if (Object.values(activations).every((a) => a.kind === 'diagonal')) {
    return diagonalGRU(n, factors, activations, held, { rz, rr, rh, rzT, rrT, rhT });
  }
  return {
    kind: 'gru',
    stateSize: n,
    factors,
    activations,
    held,
    apply(fs, v) {
      const F = (name: string) => factor(fs, name);
      const dz = act(k('z'), F('dZ'), rowsTimes(v, rz));
      const dr = act(k('r'), F('dR'), rowsTimes(v, rr));
      const dah = rowsTimes(tf.add(tf.mul(dr, F('hPrev')), tf.mul(F('r'), v)) as tf.Tensor3D, rh);
      const dhh = act(k('h'), F('dH'), dah);
      return tf.addN([tf.mul(dz, F('hMinusCandidate')), tf.mul(F('z'), v), tf.mul(tf.sub(1, F('z')), dhh)]) as tf.Tensor3D;
    },
    applyTranspose(fs, v) {
      const F = (name: string) => factor(fs, name);
      const gah = actT(k('h'), F('dH'), tf.mul(tf.sub(1, F('z')), v));
      const q = rowsTimes(gah as tf.Tensor3D, rhT); // cotangent of r⊙h
      const gaz = actT(k('z'), F('dZ'), tf.mul(v, F('hMinusCandidate')));
      const gar = actT(k('r'), F('dR'), tf.mul(q, F('hPrev')));
      return tf.addN([
        tf.mul(F('z'), v),
        tf.mul(q, F('r')),
        rowsTimes(gaz as tf.Tensor3D, rzT),
        rowsTimes(gar as tf.Tensor3D, rrT),
      ]) as tf.Tensor3D;
    },
  };
}

type Blocks = Record<'rz' | 'rr' | 'rh' | 'rzT' | 'rrT' | 'rhT', tf.Tensor2D>;

/**
 * Every gate elementwise (the usual case): the diagonal factors that always
 * meet are multiplied once (as in lstm.ts),
 *   C_z = σ'_z⊙(h − ĥ), C_r = σ'_r⊙h, C_h = (1 − z)⊙φ'_h,
 * so δh' = C_z⊙δa_z + z⊙δh + C_h⊙[(C_r⊙δa_r + r⊙δh) R_h] with δa = δh R.
 */
function diagonalGRU(n: number, general: Factors, activations: CellLinearization['activations'], held: tf.Tensor[], r: Blocks): CellLinearization {
  const G = (name: string) => factor(general, name);
  const factors = tf.tidy(() => ({
    cz: tf.mul(G('dZ'), G('hMinusCandidate')) as tf.Tensor3D,
    cr: tf.mul(G('dR'), G('hPrev')) as tf.Tensor3D,
    ch: tf.mul(tf.sub(1, G('z')), G('dH')) as tf.Tensor3D,
    z: G('z'),
    r: G('r'),
  }));
  const statistics: Factors = { z: G('z'), r: G('r'), dZ: G('dZ'), dR: G('dR'), dH: G('dH') };
  tf.dispose([G('hPrev'), G('hMinusCandidate')]);
  return {
    kind: 'gru',
    stateSize: n,
    factors,
    statistics,
    activations,
    held,
    apply(fs, v) {
      const F = (name: string) => factor(fs, name);
      const reset = tf.add(tf.mul(rowsTimes(v, r.rr), F('cr')), tf.mul(F('r'), v)) as tf.Tensor3D;
      return tf.addN([
        tf.mul(rowsTimes(v, r.rz), F('cz')),
        tf.mul(F('z'), v),
        tf.mul(rowsTimes(reset, r.rh), F('ch')),
      ]) as tf.Tensor3D;
    },
    applyTranspose(fs, v) {
      const F = (name: string) => factor(fs, name);
      const q = rowsTimes(tf.mul(v, F('ch')) as tf.Tensor3D, r.rhT); // cotangent of r⊙h
      return tf.addN([
        tf.mul(F('z'), v),
        tf.mul(q, F('r')),
        rowsTimes(tf.mul(v, F('cz')) as tf.Tensor3D, r.rzT),
        rowsTimes(tf.mul(q, F('cr')) as tf.Tensor3D, r.rrT),
      ]) as tf.Tensor3D;
    },
  };
}

/**
 * The probe re-run's GRU step with a hand-written backward (see
 * fast-step.ts), or null when an activation has no closed-form derivative.
 */
export function gruFastCell(cell: GRUCell, observe: CotangentObserver | null = null): FastCell | null {
  const [rec, act] = [cell.recurrentActivation, cell.activation];
  if (!closedForm(act, rec)) return null;
  const w = readCellWeights(cell);
  const r = splitRecurrent(w.recurrent, cell.units);
  const [rzrT, rhT] = [tf.transpose(r.rzr), tf.transpose(r.rh)];
  const projection = new InputProjection(w.kernel, w.bias);
  const forward = new ForwardTensors();
  // Per step: h − ĥ and 1 − z, φ'(a_h), and the z and r gates' derivatives side by side [z | r], as dzr lays them out.
  const factors = new StepFactors(([hPrev, candidate, z, az, ah, ar, reset]) => [
    tf.sub(hPrev!, candidate!),
    tf.sub(1, z!),
    derivative(act, ah!, candidate),
    tf.concat([derivative(rec, az!, z), derivative(rec, ar!, reset)], 1),
  ]);
  const step = customStep(([xb, h]) => {
    const s = gruForwardFrom(cell, r, xb!, h as tf.Tensor2D);
    const [hPrev, az, ar, ah, z, reset, candidate] = forward.hold(tf.clone(h!), s.az, s.ar, s.ah, s.z, s.r, s.candidate);
    const index = factors.add(hPrev, candidate, z, az, ah, ar, reset);
    return {
      value: s.h,
      gradFunc: (g) => {
        const [hMinusCandidate, oneMinusZ, candidateDerivative, gates] = factors.get(index) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const dah = tf.mul(tf.mul(g, oneMinusZ), candidateDerivative) as tf.Tensor2D;
        const q = tf.matMul(dah, rhT); // cotangent of r⊙h
        // [daz | dar], each (cotangent ⊙ forward value) ⊙ derivative, in that order as before the factors were batched.
        const dzr = tf.mul(tf.concat([tf.mul(g, hMinusCandidate), tf.mul(q, hPrev)], 1), gates) as tf.Tensor2D;
        const dh = tf.addN([tf.mul(g, z), tf.mul(q, reset), tf.matMul(dzr, rzrT)]);
        return [tf.concat([dzr, dah], 1), dh];
      },
    };
  }, observe);
  return projectedCell(projection, (xb, states) => [step(xb, states[0]!)], () => {
    factors.dispose();
    forward.dispose();
    tf.dispose([r.rzr, r.rh, rzrT, rhT]);
  });
}
