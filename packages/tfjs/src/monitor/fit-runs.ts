import type * as tf from '@tensorflow/tfjs';

/** A run that belongs to a fit(): whether that fit() is over, and how to end the run when it is. */
export interface FitRun {
  readonly fitIsOver: boolean;
  endStale(): void;
}

/**
 * The open runs that belong to a fit(), by model, so that a later fit() of
 * the model ends those whose fit() is over (it threw, and tfjs calls no
 * callback then) even where no update of theirs can: the model compiled
 * again has a new optimizer, which their taps do not see. Keyed by the
 * model's output layer: a Sequential's callbacks see an inner model, which
 * compile() may make anew.
 */
const OPEN = new WeakMap<object, Set<FitRun>>();
const key = (model: tf.LayersModel): object => model.layers.at(-1) ?? model;

/** Ends the model's runs whose fit() is over; then keeps `run`, when it belongs to a fit(). */
export function fitRunOpened(model: tf.LayersModel, run: FitRun | null): void {
  const runs = OPEN.get(key(model)) ?? new Set<FitRun>();
  for (const open of runs) if (open.fitIsOver) open.endStale();
  if (run) OPEN.set(key(model), runs.add(run));
}

/** `run` has ended. */
export function fitRunEnded(model: tf.LayersModel, run: FitRun): void {
  OPEN.get(key(model))?.delete(run);
}
