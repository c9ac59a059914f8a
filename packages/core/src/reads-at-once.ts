import * as tf from '@tensorflow/tfjs-core';

/** Backends whose tensors live in this thread's memory: wasm's heap, the cpu backend's arrays. */
const READ_AT_ONCE = new Set(['wasm', 'cpu']);

/**
 * Whether a synchronous read (dataSync) on the current backend blocks
 * nothing: the values are in this thread's memory. There dataSync() skips
 * data()'s promise chain (60–100 µs a read on wasm against ~25 µs), which
 * matters to code that reads at every step; on a GPU backend it would stall
 * the thread until the GPU is done, and data() stays the way.
 *
 * wasm's dataSync() is a copy of its heap; the cpu backend's is its own
 * array, not a copy: a caller that keeps, writes or transfers the values
 * copies them first.
 */
export function readsAtOnce(): boolean {
  return READ_AT_ONCE.has(tf.getBackend());
}

/** A tensor's values where they are read without blocking anything (see readsAtOnce), else awaited. */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  return readsAtOnce() ? (t.dataSync() as Float32Array) : ((await t.data()) as Float32Array);
}
