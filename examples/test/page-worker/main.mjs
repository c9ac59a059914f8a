// The page of examples/test/page-worker.test.mjs: a GRU trained in the page
// on the backend the test names, watched by gradscope({ url }) with its
// defaults (the measurement in a Web Worker). Reports the console warnings
// the monitor printed and the tensors left after the run.
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';

const T = 8;

window.__train = async ({ server, name, steps = 12 }) => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => {
    warnings.push(args.join(' '));
    warn(...args);
  };
  const xs = tf.randomNormal([steps * 4, T, 3], 0, 1, 'float32', 1);
  const ys = tf.randomNormal([steps * 4, 1], 0, 1, 'float32', 2);
  const model = tf.sequential({ name: `page-${name}` });
  model.add(tf.layers.gru({ units: 8, inputShape: [T, 3] }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
  const probe = { xs: xs.slice(0, 4), ys: ys.slice(0, 4) };
  // One step first, so the optimizer's own state exists before the count.
  await model.fit(probe.xs, probe.ys, { epochs: 1, batchSize: 4 });
  const before = tf.memory().numTensors;
  const monitor = gradscope({ probe, url: server, runName: name, console: false, every: 1, budget: 1000 });
  try {
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [monitor] });
    await monitor.close();
  } finally {
    console.warn = warn;
  }
  const leaked = tf.memory().numTensors - before;
  tf.dispose([xs, ys, probe.xs, probe.ys]);
  model.dispose();
  return { runId: monitor.runId, warnings, leaked, backend: tf.getBackend() };
};

const backend = new URLSearchParams(location.search).get('backend');
window.__ready = (backend ? tf.setBackend(backend) : Promise.resolve(true)).then(() => tf.ready()).then(() => tf.getBackend());
