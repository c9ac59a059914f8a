import * as tf from '@tensorflow/tfjs';
import { readsAtOnce } from '@gradscope/core';
import { listCustomGrad } from './list-custom-grad.js';

/**
 * Cutting a tensor into pieces along an axis (tf.split, tf.unstack) and
 * stacking pieces whose gradient is such a cut, on the wasm and cpu
 * backends by one read of the data and one upload per piece.
 *
 * Why: tfjs 4.22's wasm Slice reads its whole input back through readSync
 * for every piece it cuts, and SplitV and Unpack are made of Slices. T
 * pieces of a [S, T, w] tensor therefore copy it T times: unstacking the
 * [8, 100, 128] input of a stacked model's second layer, and the gradient
 * of stacking the first layer's outputs (Pack's gradient is an Unpack),
 * were 23 ms of a 276 ms SimpleRNN measurement and 43 ms of a 715 ms LSTM
 * one, more than any other kernel but the matMuls. The data already lives
 * in host memory there. Elsewhere (WebGL, WebGPU) a read would stall the
 * pipeline, and tfjs's own kernels run on the device.
 *
 * The cut is a kernel of its own (HOST_SPLIT), registered with tfjs for the
 * two backends, so that it can have several outputs and a gradient (the
 * pieces' cotangents concatenated; tfjs's engine hands a gradient zeros for
 * a piece nothing reached): the probe re-run differentiates through every
 * cut it makes.
 */

export const HOST_SPLIT = 'GradscopeHostSplit';
const BACKENDS = ['wasm', 'cpu'];

interface HostSplitAttrs {
  axis: number;
  sizes: number[];
  /**
   * Pieces of size 1 with the axis dropped (an unstack). Why in the kernel
   * rather than a reshape after it: a Reshape on the tape keeps a copy of
   * its input for its gradient, one Identity kernel per piece.
   */
  squeeze: boolean;
}

const product = (values: number[]) => values.reduce((a, b) => a * b, 1);

/** The kernel: one read of x, then per piece its rows of the axis copied out and written back as a new tensor. */
function hostSplitKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const x = inputs['x'] as tf.TensorInfo;
  const { axis, sizes, squeeze } = attrs as unknown as HostSplitAttrs;
  const outer = product(x.shape.slice(0, axis));
  const inner = product(x.shape.slice(axis + 1));
  const width = x.shape[axis]!;
  // wasm's readSync is a copy of its heap, the cpu backend's its own array: only read here either way.
  const source = backend.readSync(x.dataId) as Float32Array;
  let offset = 0;
  return sizes.map((size) => {
    const run = size * inner;
    // A fresh array per piece: the cpu backend keeps what it is given as the tensor's storage.
    const piece = new Float32Array(outer * run);
    for (let o = 0; o < outer; o++) {
      const from = (o * width + offset) * inner;
      piece.set(source.subarray(from, from + run), o * run);
    }
    offset += size;
    const shape = x.shape.slice();
    if (squeeze) shape.splice(axis, 1);
    else shape[axis] = size;
    return { dataId: backend.write(piece, shape, 'float32'), shape, dtype: 'float32' };
  });
}

// Every piece's cotangent is there: tfjs's engine fills zeros for a piece nothing reached, and passes a lone
// tensor rather than a list when the kernel made one piece.
const hostSplitGradient: tf.GradFunc = (dy, _saved, attrs) => {
  const { axis, squeeze } = attrs as unknown as HostSplitAttrs;
  const dys = Array.isArray(dy) ? dy : [dy];
  return { x: () => (squeeze ? tf.stack(dys, axis) : tf.concat(dys, axis)) };
};

let registered = false;

/** Registers the kernel for the backends that read at once, and its gradient, once per tfjs. */
function register(): void {
  if (registered) return;
  for (const backendName of BACKENDS) {
    if (!tf.getKernel(HOST_SPLIT, backendName)) tf.registerKernel({ kernelName: HOST_SPLIT, backendName, kernelFunc: hostSplitKernel as unknown as tf.KernelFunc });
  }
  if (!tf.getGradient(HOST_SPLIT)) tf.registerGradient({ kernelName: HOST_SPLIT, gradFunc: hostSplitGradient });
  registered = true;
}

function checkAxis(fn: string, t: tf.Tensor, axis: number): number {
  const a = axis < 0 ? axis + t.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= t.rank) throw new Error(`${fn}: axis ${axis} is not an axis of shape [${t.shape.join(', ')}]`);
  return a;
}

/**
 * `t` cut along `axis` into consecutive pieces of the given sizes, as
 * tf.split(t, sizes, axis); differentiable.
 */
export function splitAlong<T extends tf.Tensor>(t: T, sizes: number[], axis: number): T[] {
  const a = checkAxis('splitAlong', t, axis);
  const total = sizes.reduce((x, y) => x + y, 0);
  if (total !== t.shape[a] || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`splitAlong: sizes ${sizes.join(' + ')} = ${total} are not positive integers adding up to axis ${a} (${t.shape[a]}) of shape [${t.shape.join(', ')}]`);
  }
  if (!readsAtOnce() || t.dtype !== 'float32') return tf.split(t, sizes, a) as T[];
  if (sizes.length === 1) return [tf.clone(t)];
  return hostSplit(t, { axis: a, sizes, squeeze: false }) as T[];
}

function hostSplit(t: tf.Tensor, attrs: HostSplitAttrs): tf.Tensor[] {
  register();
  return tf.engine().runKernel(HOST_SPLIT, { x: t }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/** The slices of `t` along `axis`, that axis dropped, as tf.unstack(t, axis); differentiable. */
export function unstackAlong(t: tf.Tensor, axis: number): tf.Tensor[] {
  const a = checkAxis('unstackAlong', t, axis);
  // One piece: a reshape, on every backend. tfjs 4.22's own Unpack gradient fails there (it stacks the lone
  // cotangent the engine hands it), so a stacked model over one step could not be measured on WebGL or WebGPU.
  if (t.shape[a] === 1) return [tf.squeeze(t, [a])];
  if (!readsAtOnce() || t.dtype !== 'float32') return tf.unstack(t, a);
  return hostSplit(t, { axis: a, sizes: new Array<number>(t.shape[a]!).fill(1), squeeze: true });
}

/**
 * tf.stack(ts, axis), whose gradient is unstackAlong: tfjs's own is an
 * Unpack, the copy-per-piece cut above.
 */
export function stackAlong(ts: tf.Tensor[], axis: number): tf.Tensor {
  if (!readsAtOnce() || ts.length < 2 || ts.some((t) => t.dtype !== 'float32')) return tf.stack(ts, axis);
  return listCustomGrad((pieces) => ({ value: tf.stack(pieces, axis), gradFunc: (dy) => unstackAlong(dy, axis) }))(...ts);
}
