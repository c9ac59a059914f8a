import * as tf from '@tensorflow/tfjs';

/** Input features per time step of every benchmark model. */
export const FEATURES = 8;

const LAYERS = { simpleRNN: tf.layers.simpleRNN, gru: tf.layers.gru, lstm: tf.layers.lstm };
export const CELLS = Object.keys(LAYERS);

/**
 * The benchmark model: one recurrent layer of `units` (tfjs defaults:
 * hardSigmoid gates, orthogonal recurrent init) over T steps of 8 features,
 * then a dense unit, MSE, Adam 1e-3 — the smallest model that has every
 * quantity gradscope measures, with seeded initial weights. Orthogonal init warns above 2000 entries;
 * the warning is silenced (it is about init time, which no benchmark times).
 * `layers` > 1 stacks that many recurrent layers (all but the last return
 * sequences), the shape of model users build beyond a toy.
 */
export function buildModel(cell, units, steps, seed = 1, layers = 1) {
  const layer = LAYERS[cell];
  if (!layer) throw new Error(`bench: unknown cell '${cell}' (known: ${CELLS.join(', ')})`);
  const warn = console.warn;
  console.warn = () => {};
  try {
    // Seeded (tfjs's default initialisers, with a seed): the cold Lanczos
    // cost depends on how clustered the fresh model's singular values are,
    // and varied by ±10% between unseeded runs.
    if (!(Number.isInteger(layers) && layers >= 1)) throw new Error(`bench: layers must be an integer >= 1, got ${layers}`);
    const model = tf.sequential();
    for (let l = 0; l < layers; l++) {
      // Layer l's seeds 10·l above the first's: the first layer is the one-layer model's, bit for bit.
      model.add(layer({
        units,
        ...(l === 0 ? { inputShape: [steps, FEATURES] } : {}),
        returnSequences: l + 1 < layers,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 * l }),
        recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: seed + 10 * l + 1 }),
      }));
    }
    model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    return model;
  } finally {
    console.warn = warn;
  }
}

/**
 * A seeded regression task: y = mean of x over time and features, so the
 * gradient reaches every step. Returns { xs [rows, T, 8], ys [rows, 1] }.
 */
export function makeData(rows, steps, seed = 1) {
  return tf.tidy(() => {
    const xs = tf.randomNormal([rows, steps, FEATURES], 0, 1, 'float32', seed);
    const ys = tf.reshape(tf.mean(xs, [1, 2]), [rows, 1]);
    return { xs, ys };
  });
}

/** The first `samples` rows of the data as a gradscope probe (kept tensors: dispose them). */
export function makeProbe(data, samples = 8) {
  return { xs: data.xs.slice(0, samples), ys: data.ys.slice(0, samples) };
}

export function disposeAll(...items) {
  for (const item of items) {
    if (!item) continue;
    if (item instanceof tf.Tensor) item.dispose();
    else tf.dispose(Object.values(item));
  }
}

/** Selects and initialises a backend ('wasm' or 'cpu'); returns its name. */
export async function useBackend(name) {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`bench: backend '${name}' failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
