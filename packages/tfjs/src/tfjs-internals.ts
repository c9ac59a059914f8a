import * as tf from '@tensorflow/tfjs';

/**
 * Every place gradscope reaches past tfjs's public API, in one module.
 *
 * tfjs exposes no per-step states, no way to run a layer's cell loop with a
 * hook, and keeps some of what a re-run needs in private or protected fields.
 * The accessors below read those fields as tfjs 4.22 has them, check the
 * assumption each one makes, and when a different tfjs breaks it, say which
 * assumption broke, which tfjs is installed and which one this was written
 * for, instead of failing later with a message about undefined.
 */

/** The tfjs release (major.minor) whose internals this module reads. */
export const TFJS_WRITTEN_FOR = '4.22';

/** The class types tfjs declares but does not name at its root. */
export type RNNLayer = tf.layers.RNN;
export type RNNCell = tf.layers.RNNCell;
export type SimpleRNNCell = ReturnType<typeof tf.layers.simpleRNNCell>;
export type LSTMCell = ReturnType<typeof tf.layers.lstmCell>;
export type GRUCell = ReturnType<typeof tf.layers.gruCell>;
/** A tfjs activation object (cell.activation, cell.recurrentActivation). */
export type Activation = SimpleRNNCell['activation'];
/** The keyword arguments of Layer.call (mask, initialState, training …). */
export type CallKwargs = Parameters<tf.layers.Layer['call']>[1];
/** Layer.call's signature. */
export type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs) => tf.Tensor | tf.Tensor[];

/** The installed tfjs-layers version, e.g. '4.22.0'. */
export function installedTfjs(): string {
  return tf.version_layers;
}

/** A note for a tfjs other than the one this module was written for; null for 4.22.x. */
export function versionNote(installed: string): string | null {
  const [major, minor] = installed.split('.');
  if (`${major}.${minor}` === TFJS_WRITTEN_FOR) return null;
  return `gradscope reads some tfjs internals as tfjs ${TFJS_WRITTEN_FOR} has them, and this is tfjs ${installed}: ` +
    `if a measurement fails with "tfjs internals changed", install @tensorflow/tfjs@${TFJS_WRITTEN_FOR}`;
}

let warned = false;
/** Warns once per process when the installed tfjs is not the one this was written for. */
function noteVersion(): void {
  if (warned) return;
  warned = true;
  const note = versionNote(installedTfjs());
  if (note) console.warn(note);
}

/** The error for a broken assumption: what gradscope expected, and which tfjs it found. */
export function internalsChanged(assumption: string, installed = installedTfjs()): Error {
  return new Error(
    `gradscope: tfjs internals changed: ${assumption}. gradscope was written for tfjs ${TFJS_WRITTEN_FOR} and this is tfjs ${installed}; ` +
      `install @tensorflow/tfjs@${TFJS_WRITTEN_FOR} or a gradscope release written for ${installed}.`,
  );
}

/** Cell classes whose constructors set dropoutMask and recurrentDropoutMask (to null) in tfjs 4.22. */
const MASKED_CELLS = new Set(['SimpleRNNCell', 'LSTMCell', 'GRUCell']);

/**
 * Clears the dropout masks a built-in cell cached during the last training
 * call: a re-run would reuse them, with the training batch size. tfjs's own
 * RNN layers clear them before each call the same way.
 */
export function clearDropoutMasks(cell: RNNCell): void {
  noteVersion();
  const fields = cell as unknown as Record<string, tf.Tensor | tf.Tensor[] | null | undefined>;
  for (const key of ['dropoutMask', 'recurrentDropoutMask']) {
    if (!(key in fields)) {
      if (MASKED_CELLS.has(cell.getClassName())) {
        throw internalsChanged(`${cell.getClassName()} has no '${key}' field to clear before a re-run`);
      }
      continue; // a custom cell without dropout masks
    }
    const mask = fields[key];
    if (mask != null) {
      tf.dispose(mask);
      fields[key] = null;
    }
  }
}

/** A stateful RNN layer's stored states (protected `states_`), or null when it has none yet. */
export function storedStates(layer: RNNLayer): tf.Tensor[] | null {
  noteVersion();
  const fields = layer as unknown as { states_?: tf.Tensor[] | null };
  if (!('states_' in fields)) throw internalsChanged(`the stateful RNN layer '${layer.name}' has no 'states_' field holding its states`);
  return fields.states_ ?? null;
}

/** The cells of a StackedRNNCells (protected `cells`), or null for any other cell. */
export function stackedCells(cell: RNNCell): RNNCell[] | null {
  if (cell.getClassName() !== 'StackedRNNCells') return null;
  noteVersion();
  const cells = (cell as unknown as { cells?: RNNCell[] }).cells;
  if (!Array.isArray(cells)) throw internalsChanged(`StackedRNNCells '${cell.name}' has no 'cells' array`);
  return cells;
}

/** A Bidirectional layer's two RNN layers (private `forwardLayer`, `backwardLayer`), or null for any other layer. */
export function bidirectionalHalves(layer: tf.layers.Layer): { forward: tf.layers.Layer; backward: tf.layers.Layer } | null {
  if (layer.getClassName() !== 'Bidirectional') return null;
  noteVersion();
  const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer?: tf.layers.Layer; backwardLayer?: tf.layers.Layer };
  if (!forwardLayer || !backwardLayer) throw internalsChanged(`Bidirectional '${layer.name}' has no 'forwardLayer'/'backwardLayer'`);
  return { forward: forwardLayer, backward: backwardLayer };
}

/**
 * Runs `body` with each layer's `call` replaced by `replacement(layer index)`
 * on the instance, and restores the originals whatever happens. This relies
 * on Layer.apply (and Bidirectional.call) calling `this.call`, as tfjs 4.22
 * does; the re-run tests fail if a tfjs stops doing so.
 */
export function withReplacedCalls<R>(layers: tf.layers.Layer[], replacement: (index: number) => LayerCall, body: () => R): R {
  noteVersion();
  const targets = layers as unknown as { call: LayerCall; name: string }[];
  for (const layer of targets) {
    if (typeof layer.call !== 'function') throw internalsChanged(`layer '${layer.name}' has no call method to re-run`);
  }
  const originals = targets.map((layer) => layer.call);
  targets.forEach((layer, i) => {
    layer.call = replacement(i);
  });
  try {
    return body();
  } finally {
    targets.forEach((layer, i) => {
      layer.call = originals[i]!;
    });
  }
}

/**
 * Whether a callback asked `model` to stop training. LayersModel keeps the
 * flag in the private `stopTraining_`; a Sequential's public getter throws
 * before it is compiled, so the field is read first.
 */
export function stopTrainingRequested(model: tf.LayersModel | null | undefined): boolean {
  if (!model) return false;
  const own = (model as unknown as { stopTraining_?: boolean }).stopTraining_;
  if (own) return true;
  try {
    return Boolean(model.stopTraining);
  } catch {
    return false;
  }
}

/** A compiled loss function, (y, ŷ) → per-sample loss. */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * The loss functions `compile` set up, or null before compile. A Sequential
 * keeps them on its private inner LayersModel (`model`), not on itself.
 */
export function compiledLossFunctions(model: tf.LayersModel): LossFunction[] | null {
  const inner = (model as unknown as { model?: tf.LayersModel }).model;
  const fns = (model.lossFunctions ?? inner?.lossFunctions) as LossFunction[] | undefined;
  return fns && fns.length > 0 ? fns : null;
}

/**
 * After a gradient pass that threw: frees what the engine's tape kept for
 * it, as tfjs 4.22's Engine.gradients does at the end of a backward that
 * completes (each node's `saved` tensors, then `activeTape` = null, when no
 * outer gradient pass is recording, gradientDepth 0). Why: a throw skips
 * that clean-up, and every saved tensor (kept, so no tidy frees it) stayed:
 * 94 per failed measurement of a small custom cell whose gradient throws,
 * one failure per measurement of a monitored run. Inside an outer pass
 * (gradientDepth > 0) the tape is that pass's, and is left alone.
 */
function releaseTapeAfterFailedPass(): void {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: unknown; activeTape?: unknown } }).state;
  if (!state || typeof state.gradientDepth !== 'number') throw internalsChanged('the engine has no state.gradientDepth');
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  if (!Array.isArray(state.activeTape)) throw internalsChanged('the engine\'s state.activeTape is not a list of tape nodes');
  for (const node of state.activeTape as { saved?: tf.Tensor[] }[]) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * tf.grad(f)(x), and when the pass throws (a custom cell's gradient, say),
 * the tape's kept tensors freed before the error goes on
 * (releaseTapeAfterFailedPass). Every gradient pass gradscope runs goes
 * through here.
 */
export function gradOf(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  try {
    return tf.grad(f)(x);
  } catch (err) {
    releaseTapeAfterFailedPass();
    throw err;
  }
}
