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

/** What copyValues reads of the wasm backend: its heap and where each tensor's values are in it. */
interface WasmHeap {
  wasm?: { HEAPF32?: Float32Array };
  dataIdMap?: { get(dataId: object): { memoryOffset?: number } | undefined };
}

/**
 * A float32 tensor's values copied into `target` (as long as the tensor).
 * On wasm straight from the backend's heap: dataSync() would first copy
 * them into a new array (for an [800, 1, 128] product, 400 KB of garbage
 * at every iteration of a run). Elsewhere through dataSync: for backends
 * that read at once only (see readsAtOnce).
 */
export function copyValues(t: tf.Tensor, target: Float32Array): void {
  if (tf.getBackend() === 'wasm' && t.dtype === 'float32') {
    const backend = tf.backend() as unknown as WasmHeap;
    const heap = backend.wasm?.HEAPF32;
    const offset = backend.dataIdMap?.get(t.dataId)?.memoryOffset;
    if (heap && offset !== undefined) {
      target.set(heap.subarray(offset / 4, offset / 4 + t.size));
      return;
    }
  }
  target.set(t.dataSync() as Float32Array);
}
