import * as tf from '@tensorflow/tfjs';
import { summarize } from '@gradscope/core';
import type { GruGates, LstmGates } from '@gradscope/protocol';
import { maxDerivative } from './activation-jacobian.js';
import { factor, type CellLinearization } from './cells/linearization.js';

/** A gate value or derivative, wherever the linearisation keeps it. */
const gateValue = (lin: CellLinearization, name: string) => factor(lin.statistics ?? lin.factors, name);

/**
 * A unit is saturated at a step when its gate's derivative is below 10% of
 * the largest value that derivative takes (tanh: φ' < 0.1; sigmoid: σ' <
 * 0.025; hardSigmoid: exactly 0, outside ±2.5). Saturated units pass almost
 * no gradient through that gate.
 */
export const SATURATION_FRACTION = 0.1;

/** Per (sample, step) mean over units of a [B,1,n] factor, as [S][T]. */
function unitMean(f: tf.Tensor3D, samples: number, steps: number): number[][] {
  return tf.tidy(() => tf.reshape(tf.mean(f, [1, 2]), [samples, steps]).arraySync() as number[][]);
}

/** Fraction of all (sample, step, unit) entries of a derivative below the saturation threshold. */
function saturation(lin: CellLinearization, gate: string, derivative: string): number {
  const act = lin.activations[gate];
  if (!act || act.kind !== 'diagonal') return NaN; // softmax gates have no per-unit derivative
  const threshold = SATURATION_FRACTION * maxDerivative(act.name);
  return tf.tidy(() => tf.mean(tf.cast(tf.less(gateValue(lin, derivative), threshold), 'float32')).dataSync()[0]!);
}

/**
 * LSTM: forget/input/output gate means per t, and the constant-error
 * carousel: ln Π_{u≤t} f_u per unit (how much of c_0 survives to step t),
 * averaged over units. With f ≈ 1 it stays near 0 — the seed's "∂c/∂c ≈ I".
 */
export function lstmGates(lin: CellLinearization, samples: number, steps: number): LstmGates {
  const f = gateValue(lin, 'f');
  const logCarousel = tf.tidy(() => {
    const logF = tf.reshape(tf.log(f), [samples, steps, -1]);
    return tf.mean(tf.cumsum(logF, 1), 2).arraySync() as number[][];
  });
  return {
    kind: 'lstm',
    forget: summarize(unitMean(f, samples, steps)),
    input: summarize(unitMean(gateValue(lin, 'i'), samples, steps)),
    output: summarize(unitMean(gateValue(lin, 'o'), samples, steps)),
    logCarousel: summarize(logCarousel),
    saturation: {
      forget: saturation(lin, 'forget', 'dF'),
      input: saturation(lin, 'input', 'dI'),
      output: saturation(lin, 'output', 'dO'),
      cell: saturation(lin, 'candidate', 'dG'),
    },
  };
}

/** GRU: update gate z (z ≈ 1 copies the state: J ≈ I) and reset gate r means per t. */
export function gruGates(lin: CellLinearization, samples: number, steps: number): GruGates {
  return {
    kind: 'gru',
    update: summarize(unitMean(gateValue(lin, 'z'), samples, steps)),
    reset: summarize(unitMean(gateValue(lin, 'r'), samples, steps)),
    saturation: {
      update: saturation(lin, 'update', 'dZ'),
      reset: saturation(lin, 'reset', 'dR'),
      candidate: saturation(lin, 'candidate', 'dH'),
    },
  };
}
