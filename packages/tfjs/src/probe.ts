import * as tf from '@tensorflow/tfjs';
import { compiledLossFunctions } from './tfjs-internals.js';

/**
 * A fixed batch of S sequences the monitor re-runs the model on. Kept fixed
 * over training so that measurements at different steps are comparable.
 */
export interface Probe {
  /** Model input(s), [S, …] each, as `model.predict` takes them. */
  xs: tf.Tensor | tf.Tensor[];
  /** Targets for the model's compiled loss; without them gradNorm is not measured. */
  ys?: tf.Tensor | tf.Tensor[];
}

const list = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t : [t]);

function describeShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d == null ? 'null' : d)).join(', ')}]`;
}

/**
 * Checks a probe against the model's inputs and outputs and returns the
 * number of samples S. Errors name the option (`probe.xs[1]`, …), what the
 * model expects, and what was given, so a bad probe fails before training.
 */
export function checkProbe(model: tf.LayersModel, probe: Probe, option = 'probe'): number {
  if (probe == null || typeof probe !== 'object' || !('xs' in probe) || probe.xs == null) {
    throw new Error(`gradscope: ${option} must be { xs, ys? } with xs the model input(s) for a few (e.g. 8) sequences; got ${String(probe)}`);
  }
  const xs = list(probe.xs);
  const inputs: { shape: (number | null)[] }[] = model.inputs ?? [];
  if (inputs.length && xs.length !== inputs.length) {
    throw new Error(`gradscope: ${option}.xs has ${xs.length} tensor(s) but the model has ${inputs.length} input(s)`);
  }
  let samples = -1;
  const checkAll = (tensors: tf.Tensor[], expected: { shape: (number | null)[] }[], name: string) => {
    tensors.forEach((t, i) => {
      const where = tensors.length > 1 ? `${option}.${name}[${i}]` : `${option}.${name}`;
      if (!(t instanceof tf.Tensor) || t.isDisposed) {
        throw new Error(`gradscope: ${where} must be a live tf.Tensor, got ${t instanceof tf.Tensor ? 'a disposed tensor' : typeof t}`);
      }
      const want: (number | null)[] | undefined = expected[i]?.shape;
      if (want) {
        const fits = t.rank === want.length && want.every((d, k) => k === 0 || d == null || d === t.shape[k]);
        if (!fits) {
          throw new Error(`gradscope: ${where} has shape ${describeShape(t.shape)} but the model expects ${describeShape(want)}`);
        }
      }
      if (samples === -1) samples = t.shape[0] ?? 0;
      if (t.shape[0] !== samples) {
        throw new Error(`gradscope: ${where} has ${t.shape[0]} samples but ${option}.xs has ${samples}; every probe tensor needs the same first dimension`);
      }
    });
  };
  checkAll(xs, inputs, 'xs');
  if (samples < 1) throw new Error(`gradscope: ${option}.xs has no samples; give at least one sequence (8 is a good default)`);
  if (probe.ys != null) {
    const ys = list(probe.ys);
    const outputs: { shape: (number | null)[] }[] = model.outputs ?? [];
    if (outputs.length && ys.length !== outputs.length) {
      throw new Error(`gradscope: ${option}.ys has ${ys.length} tensor(s) but the model has ${outputs.length} output(s)`);
    }
    checkAll(ys, outputs, 'ys');
  }
  return samples;
}

/**
 * The model's compiled loss on the probe targets, as `fit` computes it:
 * Σ over outputs of mean(lossFn(y, ŷ)). null when the model is not compiled
 * or the probe has no targets.
 */
export function compiledLoss(model: tf.LayersModel, probe: Probe): ((outputs: tf.Tensor[]) => tf.Scalar) | null {
  const fns = compiledLossFunctions(model);
  if (!fns || probe.ys == null) return null;
  const ys = list(probe.ys);
  return (outputs) => tf.addN(fns.map((fn, i) => tf.mean(fn(ys[i]!, outputs[i]!)))) as tf.Scalar;
}
