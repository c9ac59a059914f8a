import * as tf from '@tensorflow/tfjs';
import { cellStateSizes } from './recurrent-loop.js';
import { gradOf, type RNNCell } from './tfjs-internals.js';

/** Rows per chunk so that the tiled batch stays under ~16M floats per tensor. */
const MAX_TILED_ELEMENTS = 16 * 1024 * 1024;

/**
 * Dense per-row Jacobians ∂s'/∂s of any tfjs cell by reverse-mode autodiff,
 * using nothing but the cell's own `call`:
 * tile each row's state N times (N = joint state size), run the cell once on
 * the tiled batch, and pull back the identity: copy j of row b receives the
 * cotangent e_j, so its gradient is row j of J_b. One backward pass gives every
 * J_b. This is the fallback for custom cells and the independent reference
 * for every analytic Jacobian in the tests.
 *
 * @param x cell inputs, [B, d]
 * @param sPrev joint states (the cell's states concatenated in order), [B, N]
 * @returns [B, N, N] with J_b[i, j] = ∂s'_i/∂s_j
 */
export function autodiffCellJacobians(cell: RNNCell, x: tf.Tensor2D, sPrev: tf.Tensor2D): tf.Tensor3D {
  const sizes = cellStateSizes(cell);
  const n = sizes.reduce((a, b) => a + b, 0);
  const [rows, width] = sPrev.shape;
  if (width !== n) {
    throw new Error(`autodiffCellJacobians: state width ${width} does not match the cell's stateSize ${sizes.join('+')} = ${n}`);
  }
  const chunk = Math.max(1, Math.floor(MAX_TILED_ELEMENTS / (n * n)));
  const parts: tf.Tensor3D[] = [];
  try {
    for (let start = 0; start < rows; start += chunk) {
      const size = Math.min(chunk, rows - start);
      parts.push(
        tf.tidy(() => {
          const xs = tf.slice(x, [start, 0], [size, -1]);
          const ss = tf.slice(sPrev, [start, 0], [size, -1]);
          const xTiled = tf.reshape(tf.tile(tf.expandDims(xs, 1), [1, n, 1]), [size * n, -1]) as tf.Tensor2D;
          const sTiled = tf.reshape(tf.tile(tf.expandDims(ss, 1), [1, n, 1]), [size * n, n]) as tf.Tensor2D;
          const cotangent = tf.tile(tf.eye(n), [size, 1]);
          const pullback = gradOf((s: tf.Tensor) => {
            const states = sizes.length === 1 ? [s] : tf.split(s, sizes, 1);
            const out = cell.call([xTiled, ...states], { training: false }) as tf.Tensor[];
            const next = out.length === 2 ? out[1]! : tf.concat(out.slice(1), 1);
            return tf.sum(tf.mul(next, cotangent));
          }, sTiled);
          return tf.reshape(pullback, [size, n, n]) as tf.Tensor3D;
        }),
      );
    }
  } catch (err) {
    // The chunks already made are the caller's only when all of them are.
    tf.dispose(parts);
    throw err;
  }
  if (parts.length === 1) return parts[0]!;
  const joined = tf.concat(parts, 0);
  tf.dispose(parts);
  return joined as tf.Tensor3D;
}
