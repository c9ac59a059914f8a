import * as tf from '@tensorflow/tfjs';
import type { TensorValues } from '../measure-worker/messages.js';
import { compiledLossFunctions } from '../tfjs-internals.js';
import type { Probe } from '../probe.js';
import type { LayerTarget } from '../recurrent-layers.js';

type Layer = tf.layers.Layer;

/**
 * The layers whose weights a measurement needs. With a loss measured (the
 * probe has targets and the model is compiled), all of them: the gradient
 * through time flows back from the model's outputs. Otherwise the measured
 * recurrent layers and every layer upstream of them (their inbound nodes,
 * transitively): what the probe run passes through to reach their states.
 */
export function layersNeeded(model: tf.LayersModel, targets: LayerTarget[], probe: Probe): Layer[] {
  const withLoss = probe.ys != null && compiledLossFunctions(model) !== null;
  if (withLoss) return model.layers.filter((l) => l.weights.length > 0);
  // A target may be inside a wrapper (Bidirectional's forward and backward layers): start from the model's own layers holding its weights.
  const targetWeights = new Set(targets.flatMap((t) => (t.layer as unknown as Layer).weights));
  const seen = new Set<Layer>();
  const stack: Layer[] = model.layers.filter((l) => l.weights.some((w) => targetWeights.has(w)));
  while (stack.length) {
    const layer = stack.pop()!;
    if (seen.has(layer)) continue;
    seen.add(layer);
    for (const node of layer.inboundNodes ?? []) stack.push(...node.inboundLayers);
  }
  return model.layers.filter((l) => seen.has(l) && l.weights.length > 0);
}

/**
 * Backends whose data() returns a fresh array. The cpu backend returns its
 * own storage, which must be copied before its buffer is transferred
 * (transferring detaches it, and the weight would read as empty).
 */
const FRESH_READS = new Set(['wasm', 'webgl', 'webgpu']);

/** A tensor's values in an array that owns its whole buffer, safe to transfer. */
export async function tensorValues(t: tf.Tensor): Promise<TensorValues> {
  return owning(t, (await t.data()) as Float32Array | Int32Array | Uint8Array);
}

/** `data`, t's values as read, in an array that owns its whole buffer (a copy where the read was not one). */
function owning(t: tf.Tensor, data: Float32Array | Int32Array | Uint8Array): TensorValues {
  const owned = FRESH_READS.has(tf.getBackend()) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return { shape: t.shape.slice(), dtype: t.dtype as TensorValues['dtype'], values: owned ? data : data.slice() };
}

/**
 * The weights of `layers` as of now, read synchronously: for backends where
 * that blocks nothing (readsAtOnce: wasm, cpu). There cloneWeights and
 * readClones pay an Identity kernel and a promise chain per weight: a
 * snapshot of SimpleRNN n = 64's five weights took ~0.37 ms of the training
 * thread that way, 0.19 ms this way.
 */
export function readWeightsNow(layers: Layer[]): { weights: { layer: string; values: TensorValues[] }[]; transfer: ArrayBuffer[] } {
  const weights = layers.map((l) => ({
    layer: l.name,
    values: l.weights.map((w) => {
      const t = w.read();
      return owning(t, t.dataSync() as Float32Array | Int32Array | Uint8Array);
    }),
  }));
  return { weights, transfer: weights.flatMap((w) => w.values.map((v) => v.values.buffer as ArrayBuffer)) };
}

/** The weights of some layers as of one step: clones that share the variables' data (see snapshotWeights). */
export interface WeightClones {
  tensors: { layer: string; tensors: tf.Tensor[] }[];
}

/**
 * Clones of the weights of `layers` as of now, taken synchronously, before
 * anything else can run: a clone shares the variable's data, and training
 * replaces a variable's data rather than writing into it (Variable.assign
 * swaps the data id), so the clones keep this step's values for free for as
 * long as they are held. Dispose them with readClones or disposeClones.
 */
export function cloneWeights(layers: Layer[]): WeightClones {
  return { tensors: layers.map((l) => ({ layer: l.name, tensors: l.weights.map((w) => tf.clone(w.read())) })) };
}

export function disposeClones(clones: WeightClones): void {
  tf.dispose(clones.tensors.flatMap((c) => c.tensors));
}

/** The clones' values, read back asynchronously (a WebGL read is not a synchronous stall on the training thread); disposes the clones. */
export async function readClones(clones: WeightClones): Promise<{ weights: { layer: string; values: TensorValues[] }[]; transfer: ArrayBuffer[] }> {
  try {
    const weights = await Promise.all(clones.tensors.map(async (c) => ({ layer: c.layer, values: await Promise.all(c.tensors.map(tensorValues)) })));
    return { weights, transfer: weights.flatMap((w) => w.values.map((v) => v.values.buffer as ArrayBuffer)) };
  } finally {
    disposeClones(clones);
  }
}

/** The weights of `layers` as of now (cloneWeights, then readClones). */
export async function snapshotWeights(layers: Layer[]): Promise<{ weights: { layer: string; values: TensorValues[] }[]; transfer: ArrayBuffer[] }> {
  return readClones(cloneWeights(layers));
}
