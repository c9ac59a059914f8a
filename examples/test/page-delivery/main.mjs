// The page of examples/test/page-delivery.test.mjs: tiny training runs in
// the browser, published with gradscope({ url }) through the page's own
// WebSocket, while the test makes the server misbehave. Each run reports
// the longest task the page ran (PerformanceObserver 'longtask').
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';

const T = 8;

/** Holds the main thread, as a long shader compilation or measurement does. */
function block(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * One run: a GRU on random data, `steps` batches, measured every 2 steps.
 * `blockMs`: block the page right after the monitor opened its socket (so
 * its hello is late). `midRun`: awaited after batch 2 (the test starts the
 * server there). `monitor: false`: the same training without gradscope.
 */
window.__runOne = async ({ server, name, steps = 6, blockMs = 0, midRun = false, monitor = true }) => {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
  observer.observe({ type: 'longtask', buffered: false });
  const xs = tf.randomNormal([steps * 4, T, 3], 0, 1, 'float32', 1);
  const ys = tf.randomNormal([steps * 4, 1], 0, 1, 'float32', 2);
  const model = tf.sequential({ name: `page-${name}` });
  model.add(tf.layers.gru({ units: 8, inputShape: [T, 3] }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
  const callbacks = [];
  const gs = monitor ? gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, url: server, runName: name, console: false, every: 2, budget: 1 }) : null;
  if (gs) callbacks.push(gs);
  callbacks.push(
    new tf.CustomCallback({
      onTrainBegin: async () => blockMs > 0 && block(blockMs),
      onBatchEnd: async (batch) => {
        if (midRun && batch === 2) await window.__midRun(name);
      },
    }),
  );
  await new Promise((r) => setTimeout(r, 0)); // the observer only sees tasks that start after it was registered
  const started = performance.now();
  await model.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks });
  const ms = performance.now() - started;
  // Long tasks are reported after they end: give the observer a turn.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  tf.dispose([xs, ys]);
  model.dispose();
  return { runId: gs?.runId ?? null, ms, longestTask: Math.max(0, ...longTasks), longTasks: longTasks.length, backend: tf.getBackend() };
};

// ?backend=cpu|webgl picks the tfjs backend (default: tfjs's choice, WebGL when the browser has it).
const backend = new URLSearchParams(location.search).get('backend');
window.__ready = (backend ? tf.setBackend(backend) : Promise.resolve(true)).then(() => tf.ready()).then(() => tf.getBackend());
