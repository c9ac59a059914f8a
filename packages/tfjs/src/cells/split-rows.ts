import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';

/**
 * `t` cut along its first axis into consecutive blocks of the given numbers
 * of rows, as tf.split(t, rows, 0) — but on the wasm and cpu backends by one
 * read of the data and an upload per block.
 *
 * Why: tfjs 4.22's wasm Slice reads its whole input back through readSync
 * for every piece, so T pieces of a [T·S, w] block copy it T times (for an
 * LSTM's [800, 512] factors, 160 MB). The data already lives in host memory
 * there; elsewhere (WebGL) a download would stall the pipeline, so tf.split
 * runs on the device.
 */
export function splitRows<T extends tf.Tensor>(t: T, rows: number[]): T[] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (total !== t.shape[0]) throw new Error(`splitRows: rows ${rows.join(' + ')} = ${total} do not add up to the first axis ${t.shape[0]} of shape [${t.shape.join(', ')}]`);
  if (!readsAtOnce() || t.dtype !== 'float32') return tf.split(t, rows, 0) as T[];
  const width = t.size / total;
  const source = t.dataSync() as Float32Array;
  let offset = 0;
  return rows.map((r) => {
    // The cpu backend keeps the array it is given as the tensor's storage: a copy of its own there;
    // wasm copies the values into its heap on upload, so a view is enough.
    const range: [number, number] = [offset * width, (offset + r) * width];
    const piece = tf.getBackend() === 'cpu' ? source.slice(...range) : source.subarray(...range);
    offset += r;
    return tf.tensor(piece, [r, ...t.shape.slice(1)], 'float32') as T;
  });
}
