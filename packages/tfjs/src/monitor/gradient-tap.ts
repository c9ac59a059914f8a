import type * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';
import { gradientNorms } from '../gradient-norms.js';
import { now } from './clock.js';
import { ClippingOptimizer, globalNorm, learningRateOf, namedGradients, type ClipListener, type NamedTensor } from '../with-clipping.js';

/**
 * Sees every optimizer step of a model and reports its gradient norms.
 * A withClipping optimizer reports by itself (with its clip events); any
 * other optimizer gets its instance's applyGradients wrapped, record-only,
 * until the returned function undoes it. LayersModel.fit, fitDataset and
 * trainOnBatch all go through applyGradients. Undone while another tap
 * wraps it (a run left open by a fit() that threw, under a later run's),
 * the wrapper stays where it is but only passes the update through.
 *
 * `charge` receives the time the wrapper itself took at each step (the
 * norms and the report, not the optimizer's update): it runs inside the
 * training step, where the monitor's step clock counts it as training, yet
 * it is the monitor's work. Only where a synchronous read blocks nothing
 * (readsAtOnce: wasm, cpu): on a GPU backend the norms' download waits for
 * the GPU to finish the step's queued work, training's own, and charging
 * that wait would hold measurements back for it. A withClipping optimizer
 * computes its norms to clip, which is training's work: nothing is charged
 * for it.
 */
export function tapGradients(optimizer: tf.Optimizer | null | undefined, listener: ClipListener, measureUnwrapped: boolean, charge: (ms: number) => void = () => {}): () => void {
  if (!optimizer) return () => {};
  if (optimizer instanceof ClippingOptimizer) return optimizer.onStep(listener);
  if (!measureUnwrapped) return () => {};
  const own = Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients');
  const original = optimizer.applyGradients;
  // Dropped when undone: a wrapper someone re-wrapped since stays in their chain, passing straight through, and
  // must keep neither its run nor the run's cost alive.
  let sinks: { listener: ClipListener; charge: (ms: number) => void } | null = { listener, charge };
  const wrapped = function (this: tf.Optimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]) {
    const to = sinks;
    if (!to) return original.call(this, variableGradients);
    let report: Parameters<ClipListener>[0] | null = null;
    const started = now();
    try {
      const present = namedGradients(variableGradients);
      const norms = gradientNorms(present.map((g) => g.tensor));
      const g = globalNorm(norms);
      report = {
        iteration: optimizer.iterations,
        norms: Object.fromEntries(present.map((p, i) => [p.name, norms[i]!])),
        globalNormBefore: g,
        globalNormAfter: g,
        mode: null,
        threshold: null,
        clipped: [],
        learningRate: learningRateOf(optimizer),
      };
    } catch (err) {
      console.warn(`gradscope: could not measure gradient norms: ${(err as Error).message}`);
    }
    if (readsAtOnce()) to.charge(now() - started);
    original.call(this, variableGradients);
    if (report) to.listener(report);
  };
  optimizer.applyGradients = wrapped;
  UNDER.set(wrapped, { original, own, undone: () => sinks === null });
  return () => {
    sinks = null;
    if (optimizer.applyGradients !== wrapped) return; // someone else re-wrapped it since: leave theirs, ours passing through
    // Restore what we wrapped, skipping taps undone while ours wrapped them: the optimizer gets its own method back.
    let [restore, restoreOwn] = [original, own];
    for (let under = UNDER.get(restore); restoreOwn && under?.undone(); under = UNDER.get(restore)) [restore, restoreOwn] = [under.original, under.own];
    if (restoreOwn) optimizer.applyGradients = restore;
    else delete (optimizer as { applyGradients?: unknown }).applyGradients;
  };
}

/** What each of our wrappers wrapped, and whether it was undone: for the tap above it to skip when it is undone. */
const UNDER = new WeakMap<object, { original: tf.Optimizer['applyGradients']; own: boolean; undone: () => boolean }>();
