// The page of benchmark 8: one training run per call of window.__trainOnce,
// with or without the gradscope monitor, while the page records what it can
// of its main thread — every long task (PerformanceObserver 'longtask',
// tasks over 50 ms), the longest gap between ticks of a setTimeout heartbeat
// (what a page's own work waits at most), and which long tasks began inside
// the monitor's own callbacks (its share, attributed by time).
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';

const LAYERS = { simpleRNN: tf.layers.simpleRNN, lstm: tf.layers.lstm, gru: tf.layers.gru };
const FEATURES = 8;
const CALLBACK_HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

/** Whether this build's gradscope() takes the `worker` option (a build without it rejects it by name). */
function workerSupport() {
  try {
    gradscope({ worker: false, logdir: false, console: false });
    return { supported: true, reason: null };
  } catch (err) {
    if (err instanceof TypeError && /worker/.test(err.message)) return { supported: false, reason: 'this build has no measurement worker' };
    throw err;
  }
}

/** Seeded model and data: the same weights and batches for every variant. */
function setUp(cell, units, steps, batches, batch) {
  const model = tf.sequential();
  model.add(LAYERS[cell]({ units, inputShape: [steps, FEATURES], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: 2 }) }));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const xs = tf.randomNormal([batches * batch, steps, FEATURES], 0, 1, 'float32', 100);
  const ys = tf.tidy(() => tf.reshape(tf.mean(xs, [1, 2]), [batches * batch, 1]));
  return { model, xs, ys };
}

/** Wraps the monitor's callback hooks to record when each ran: [start, end] in performance.now() time. */
function recordHookWindows(monitor) {
  const windows = [];
  for (const hook of CALLBACK_HOOKS) {
    const original = monitor[hook].bind(monitor);
    monitor[hook] = async (...args) => {
      const t0 = performance.now();
      try {
        return await original(...args);
      } finally {
        windows.push([t0, performance.now()]);
      }
    };
  }
  return windows;
}

/** A setTimeout heartbeat: the longest gap between two of its ticks while it ran. */
function heartbeat() {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = () => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return () => {
    running = false;
    // A run that never yields holds back every tick: its whole length is the gap.
    return Math.max(longest, performance.now() - last);
  };
}

/**
 * One run: `batches` steps of model.fit. variant: 'plain' (no monitor),
 * 'thread' (gradscope({ every, worker: false }), or without the option on a
 * build that has none), 'worker' (gradscope({ every, worker: true })).
 * The monitor keeps its defaults otherwise, with no url: nothing leaves the
 * page; its console lines (one per measurement) are counted, not printed.
 */
window.__trainOnce = async ({ cell, units, steps, batches, batch, every, variant }) => {
  const { model, xs, ys } = setUp(cell, units, steps, batches, batch);
  const support = workerSupport();
  const workerOption = variant === 'plain' ? null : support.supported ? { worker: variant === 'worker' } : {};
  const probe = { xs: xs.slice(0, 8), ys: ys.slice(0, 8) };
  const monitor = workerOption ? gradscope({ probe, every, logdir: false, ...workerOption }) : null;
  const windows = monitor ? recordHookWindows(monitor) : [];
  const longTasks = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push({ start: e.startTime, ms: e.duration })));
  observer.observe({ type: 'longtask', buffered: false });
  const log = console.log;
  let measurements = 0;
  console.log = (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('gradscope step ')) measurements++;
  };
  await new Promise((r) => setTimeout(r, 0)); // the observer sees tasks that start after it was registered
  const stopHeartbeat = heartbeat();
  const t0 = performance.now();
  try {
    // A page that trains lets its own work run between steps: a callback that yields after every batch
    // (fit yields only through such callbacks; without one, a plain run on the cpu backend was a single
    // task from start to end), so the plain run's longest task is about one step.
    const yielder = new tf.CustomCallback({}, 'batch');
    await model.fit(xs, ys, { batchSize: batch, epochs: 1, shuffle: false, callbacks: monitor ? [monitor, yielder] : [yielder] });
    if (monitor) await monitor.close();
  } finally {
    console.log = log;
  }
  const ms = performance.now() - t0;
  const longestGap = stopHeartbeat();
  await new Promise((r) => setTimeout(r, 100)); // long tasks are reported after they end
  observer.disconnect();
  const insideMonitor = longTasks.filter((t) => windows.some(([a, b]) => t.start >= a && t.start < b));
  tf.dispose([xs, ys, probe.xs, probe.ys]);
  model.optimizer.dispose(); // model.dispose() leaves an optimizer passed to compile() alive
  model.dispose();
  return {
    backend: tf.getBackend(),
    worker: support,
    ms,
    measurements,
    longestTask: Math.max(0, ...longTasks.map((t) => t.ms)),
    longTasks: longTasks.length,
    longestGap,
    monitorLongest: Math.max(0, ...insideMonitor.map((t) => t.ms)),
    numTensors: tf.memory().numTensors,
  };
};

// ?backend=webgl|cpu; the default is tfjs's choice (WebGL when the page has it).
const wanted = new URLSearchParams(location.search).get('backend');
window.__ready = (wanted ? tf.setBackend(wanted) : Promise.resolve(true)).then(() => tf.ready()).then(() => tf.getBackend());
