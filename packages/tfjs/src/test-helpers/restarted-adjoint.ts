import * as tf from '@tensorflow/tfjs';

/**
 * The reference for ‖∂L/∂s_t‖ (the probe re-run's gradNorm), computed by tfjs
 * alone: run the layer on x[0:t] to reach s_t, then restart it from s_t
 * (initialState) on x[t:] and differentiate the loss with respect to that
 * initial state. Outputs of steps before t (returnSequences) do not depend on
 * s_t and are held fixed. Works for the first recurrent layer of a
 * Sequential [rnn, ...rest], or [masking, rnn, ...rest] with `mask` (the
 * masking layer's [S, T] mask of x, whose masked rows are zero): the mask's
 * steps go with the prefix and the restarted tail, where a masked step
 * carries the state through. With a mask, returnSequences false only (an
 * output at a masked step is the previous one, which s_t does not reach).
 * [S][T + 1].
 */
export function restartedGradNorms(
  model: tf.Sequential,
  x: tf.Tensor3D,
  y: tf.Tensor,
  lossFn: (y: tf.Tensor, p: tf.Tensor) => tf.Tensor,
  { outputIsState = true, mask }: { outputIsState?: boolean; mask?: tf.Tensor2D } = {},
): number[][] {
  const at = model.layers.findIndex((layer) => (layer as any).cell !== undefined);
  const rnn = model.layers[at] as any;
  const rest = model.layers.slice(at + 1);
  const steps = x.shape[1];
  const stateSizes: number[] = Array.isArray(rnn.cell.stateSize) ? rnn.cell.stateSize : [rnn.cell.stateSize];
  const masked = (from: number, count: number) => (mask ? { mask: mask.slice([0, from], [-1, count]) } : {});
  const norms: number[][] = [];
  for (let t = 0; t <= steps; t++) {
    norms.push(
      tf.tidy(() => {
        const samples = x.shape[0];
        let states: tf.Tensor[] = stateSizes.map((n) => tf.zeros([samples, n]));
        let before: tf.Tensor | null = null;
        // The layer's own call (not gradscope's re-run): restart tfjs's RNN
        // loop from s_t. returnState is flipped on for the head only.
        const call = (input: tf.Tensor, kwargs: any, sequences: boolean, state: boolean) => {
          const saved = [rnn.returnSequences, rnn.returnState];
          rnn.returnSequences = sequences;
          rnn.returnState = state;
          try {
            return rnn.call(input, kwargs);
          } finally {
            [rnn.returnSequences, rnn.returnState] = saved;
          }
        };
        if (t > 0) {
          const out = call(x.slice([0, 0, 0], [-1, t, -1]), masked(0, t), true, true) as tf.Tensor[];
          before = out[0]!;
          states = out.slice(1);
        }
        const tail = t < steps ? x.slice([0, t, 0], [-1, steps - t, -1]) : null;
        const grads = tf.grads((...init: tf.Tensor[]) => {
          // Outputs 1..t−1 are fixed; y_t is h_t = s_t itself (a direct term of
          // ∂L/∂s_t); outputs t+1..T come from the restarted loop.
          const parts: tf.Tensor[] = [];
          if (rnn.returnSequences && outputIsState) {
            if (t > 1) parts.push(before!.slice([0, 0, 0], [-1, t - 1, -1]));
            if (t > 0) parts.push(tf.expandDims(init[0]!, 1));
          } else if (rnn.returnSequences && t > 0) {
            // An output the cell computed beside s_t (not s_t itself) is fixed too: the re-run perturbs states only.
            parts.push(before!);
          }
          if (tail) parts.push(call(tail, { initialState: init, ...masked(t, steps - t) }, rnn.returnSequences, false) as tf.Tensor);
          const seqOut = rnn.returnSequences ? tf.concat(parts, 1) : tail ? parts[0]! : init[0]!;
          let out = seqOut;
          for (const layer of rest) out = layer.apply(out) as tf.Tensor;
          // 0·s keeps every state on the tape (c_T does not reach the loss when
          // only h_T is returned, and tfjs refuses gradients of unused inputs).
          const unused = tf.addN(init.map((s) => tf.sum(tf.mul(s, 0))));
          return tf.add(tf.mean(lossFn(y, out)), unused) as tf.Scalar;
        })(states);
        const squared = grads.map((g) => tf.sum(tf.square(g), 1));
        return tf.sqrt(tf.addN(squared)).arraySync() as number[];
      }),
    );
  }
  // [T+1][S] → [S][T+1]
  return norms[0]!.map((_, s) => norms.map((row) => row[s]!));
}
