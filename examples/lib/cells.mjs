import * as tf from '@tensorflow/tfjs';

/**
 * A recurrent layer of the given kind, with seeded initialisers so that an
 * example shows the same numbers every time. Gated cells use sigmoid gates
 * (Keras's default; tfjs defaults to hardSigmoid).
 */
export function recurrentLayer(kind, options, seed = 1) {
  options = {
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
    ...options,
  };
  if (kind === 'lstm') return tf.layers.lstm({ ...options, recurrentActivation: 'sigmoid' });
  if (kind === 'gru') return tf.layers.gru({ ...options, recurrentActivation: 'sigmoid' });
  if (kind === 'simpleRNN') return tf.layers.simpleRNN(options);
  throw new Error(`unknown cell kind '${kind}' (known: simpleRNN, gru, lstm)`);
}

/**
 * Sets the bias of the gate that decides how much state is carried — LSTM's
 * forget gate f, GRU's update gate z — to `bias`, so it starts near σ(3) =
 * 0.95 and the cell carries its state across many steps (Jozefowicz et al.
 * 2015; Tallec & Ollivier 2018). With tfjs's defaults (hardSigmoid, zero
 * bias) both gates start at 0.5 — f = 0.7 with unitForgetBias — and a gated
 * cell forgets as fast as a SimpleRNN. Call after the layer is built.
 */
export function openCarryGate(layer, kind, bias = 3) {
  if (kind === 'simpleRNN') return;
  const n = layer.cell.units;
  const blocks = kind === 'lstm' ? 4 : 3;
  const carry = kind === 'lstm' ? 1 : 0; // gate order: LSTM i, f, c, o; GRU z, r, h
  const values = tf.concat(Array.from({ length: blocks }, (_, i) => (i === carry ? tf.fill([n], bias) : tf.zeros([n]))));
  layer.cell.bias.write(values);
  values.dispose();
}
