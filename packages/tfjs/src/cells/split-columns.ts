import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';

/**
 * `t` cut along its last axis into pieces of the given widths, as
 * tf.split(t, widths, -1) — but on the wasm and cpu backends by one pass
 * over the host copy of the data.
 *
 * Why: the LSTM operator halves every Lanczos vector [B, 1, 2n] into its h
 * and c parts twice per step. tfjs 4.22's wasm SplitV copies row by row
 * through a JS loop per piece and took 4–6 ms for [800, 1, 256] (30–50
 * elementwise multiplies' worth), this 0.35–0.4 ms (same process, a busy
 * machine); its native StridedSlice, the other way to a strided copy, took
 * 43 ms. Elsewhere (WebGL) a download would stall the pipeline, so tf.split
 * runs on the device.
 */
export function splitColumns<T extends tf.Tensor>(t: T, widths: number[]): T[] {
  const rank = t.rank;
  const width = t.shape[rank - 1]!;
  const total = widths.reduce((a, b) => a + b, 0);
  if (total !== width) throw new Error(`splitColumns: widths ${widths.join(' + ')} = ${total} do not add up to the last axis ${width} of shape [${t.shape.join(', ')}]`);
  if (!readsAtOnce() || t.dtype !== 'float32') return tf.split(t, widths, rank - 1) as T[];
  const rows = t.size / width;
  const source = t.dataSync() as Float32Array;
  let offset = 0;
  return widths.map((w) => {
    const piece = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) piece.set(source.subarray(r * width + offset, r * width + offset + w), r * w);
    offset += w;
    return tf.tensor(piece, [...t.shape.slice(0, -1), w], 'float32') as T;
  });
}
