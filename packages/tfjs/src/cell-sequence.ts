import * as tf from '@tensorflow/tfjs';
import { selectRows, type BatchedOperator, type JacobianSequence, type OuterFactors } from '@gradscope/core';
import type { CellLinearization, Factors } from './cells/linearization.js';
import { stepSlices } from './step-slices.js';

/**
 * Wraps a cell linearisation (factors for S·T rows, sample-major) as the
 * JacobianSequence that @gradscope/core measures.
 *
 * Masked steps copy the state in tfjs (s_t = m·cell(s_{t-1}) + (1−m)·s_{t-1}),
 * so the Jacobian there is m·J + (1−m)·I: `mask` [S, T] (1 = step taken)
 * becomes one more factor and every apply blends with the identity.
 *
 * Takes ownership of the linearisation's tensors and of `mask`.
 */
export function cellSequence(lin: CellLinearization, samples: number, steps: number, mask: tf.Tensor2D | null): JacobianSequence {
  const factors: Factors = { ...lin.factors };
  if (mask) {
    factors.mask = tf.tidy(() => tf.reshape(tf.cast(mask, 'float32'), [samples * steps, 1, 1]) as tf.Tensor3D);
    mask.dispose();
  }
  // One host read of the [S·T] mask: tfjs's rnn() casts a mask through bool, which on wasm (4.22) keeps a 2 a 2.
  const binaryMask = !factors.mask || Array.from(factors.mask.dataSync()).every((m) => m === 0 || m === 1);
  const blend = (f: Factors, v: tf.Tensor3D, jv: tf.Tensor3D): tf.Tensor3D => {
    const m = f.mask;
    if (!m) return jv;
    return tf.add(tf.mul(m, jv), tf.mul(tf.sub(1, m), v)) as tf.Tensor3D;
  };
  const operator = (f: Factors, batch: number): BatchedOperator => ({
    batch,
    size: lin.stateSize,
    apply: (v) => tf.tidy(() => blend(f, v, lin.apply(f, v))),
    applyTranspose: (v) => tf.tidy(() => blend(f, v, lin.applyTranspose(f, v))),
    // A mask of 0 or 1 per row blends J Jᵀ with I exactly as it blends J (m² = m); any other mask: no applyOuter.
    ...(lin.applyOuter && binaryMask ? { applyOuter: (w: tf.Tensor3D) => tf.tidy(() => blend(f, w, lin.applyOuter!(f, w))) } : {}),
    // Its factors blend the same way: m·(D G D + ι I) + (1 − m)·I = (m D) G (m D) + (m ι + 1 − m)·I for m 0 or 1.
    ...(lin.applyOuter && lin.outerFactors && binaryMask
      ? {
          // In a tidy: what the cell's factors or the blend make before one throws is freed.
          outerFactors: () =>
            tf.tidy(() => {
              const inner = lin.outerFactors!(f);
              const m = f.mask;
              if (!m) return inner as unknown as tf.TensorContainer;
              const identity = inner.identity ? tf.add(tf.mul(m, inner.identity), tf.sub(1, m)) : tf.sub(1, m);
              return { scale: tf.mul(m, inner.scale), gram: inner.gram, identity } as unknown as tf.TensorContainer;
            }) as unknown as OuterFactors,
        }
      : {}),
    // The same maps restricted to some rows (the batched Lanczos drops
    // converged maps this way): one gather per factor.
    select(rows) {
      const picked: Factors = {};
      for (const [name, t] of Object.entries(f)) picked[name] = selectRows(t, rows);
      return { ...operator(picked, rows.length), dispose: () => tf.dispose(Object.values(picked)) };
    },
  });

  // Per-step slices of every factor, made once on the first step() call
  // (see step-slices.ts for why not T slices or an unstack on wasm).
  let perStep: Factors[] | null = null;
  const slices = (): Factors[] => {
    if (perStep) return perStep;
    const made: Factors[] = Array.from({ length: steps }, () => ({}));
    for (const [name, t] of Object.entries(factors)) {
      stepSlices(t, samples, steps).forEach((p, i) => {
        made[i]![name] = p;
      });
    }
    perStep = made;
    return made;
  };
  const all = operator(factors, samples * steps);

  return {
    samples,
    steps,
    size: lin.stateSize,
    all: () => all,
    step(t) {
      if (!Number.isInteger(t) || t < 0 || t >= steps) {
        throw new Error(`cellSequence.step: t must be an integer in [0, ${steps}), got ${t}`);
      }
      return operator(slices()[t]!, samples);
    },
    dispose() {
      tf.dispose(Object.values(factors));
      if (lin.statistics) tf.dispose(Object.values(lin.statistics));
      tf.dispose(lin.held);
      if (perStep) for (const f of perStep) tf.dispose(Object.values(f));
    },
  };
}
