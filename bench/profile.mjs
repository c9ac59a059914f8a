// Where a warm measurement's time and kernels go, phase by phase, against one
// training step of the same model: what to read before making it cheaper.
//
//   node bench/profile.mjs                       the four models of benchmark 2
//   node bench/profile.mjs lstm:128:100 gru:64:50 cell:units:steps …
//   node bench/profile.mjs --trained 100 …        after 100 more training steps
//
// Why kernels as well as milliseconds: on wasm a tfjs kernel costs a fixed
// ~10–40 µs of dispatch besides its arithmetic, and each allocates ~4 KB of
// short-lived objects. A small model's measurement is mostly that fixed
// cost, and beside training the worker's garbage is collected on threads
// training shares (packages/tfjs/src/monitor/run-queue-charge.ts).
//
// Phases are cut at measureModel's `pause` points: the probe re-run, then
// per cell its Jacobian operators, the analysis (per-step Lanczos and the
// product's propagation), the gate statistics, and the recurrent kernel's
// norms. Kernels are counted by wrapping tf.engine().runKernel for the
// duration of one measurement (the wrapper's own cost is a counter). One
// process, one backend (wasm, as benchmark 2), after a cold and a warm
// measurement have compiled everything; times move with the machine's load,
// kernel counts do not.
import * as tf from '@tensorflow/tfjs';
import { MeasureCache, measureModel } from '@gradscope/tfjs';
import { buildModel, disposeAll, makeData, makeProbe, useBackend } from './lib/models.mjs';
import { median } from './lib/stats.mjs';

const DEFAULT = ['lstm:128:100', 'gru:128:100', 'simpleRNN:128:100', 'simpleRNN:64:50'];
const PHASES = ['probe re-run', 'Jacobian operators', 'analysis (Lanczos, propagation)', 'gate statistics', 'recurrent kernel norms'];
const TOP = 6;

function parse(arg) {
  const [cell, units, steps] = arg.split(':');
  if (!['lstm', 'gru', 'simpleRNN'].includes(cell) || !(Number(units) > 0) || !(Number(steps) > 0)) {
    throw new Error(`bench/profile: '${arg}' is not cell:units:steps with cell lstm, gru or simpleRNN (e.g. lstm:128:100)`);
  }
  return { cell, units: Number(units), steps: Number(steps) };
}

/** Counts kernels by name while `f` runs; returns f's result and the counts. */
async function counting(f) {
  const engine = tf.engine();
  const original = engine.runKernel;
  const counts = new Map();
  engine.runKernel = function (name, inputs, attrs) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, name, inputs, attrs);
  };
  try {
    return { result: await f(counts), counts };
  } finally {
    engine.runKernel = original;
  }
}

const total = (counts) => [...counts.values()].reduce((a, b) => a + b, 0);
const top = (counts) => [...counts].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, n]) => `${k} ${n}`).join(', ');
const minus = (a, b) => new Map([...a].map(([k, n]) => [k, n - (b.get(k) ?? 0)]).filter(([, n]) => n > 0));

async function profile({ cell, units, steps }) {
  const model = buildModel(cell, units, steps);
  const data = makeData(32, steps);
  const probe = makeProbe(data);
  const cache = new MeasureCache();
  try {
    for (let i = 0; i < trained; i++) await model.trainOnBatch(data.xs, data.ys);
    await model.trainOnBatch(data.xs, data.ys);
    await measureModel(model, probe, { cache });
    const stepMs = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await model.trainOnBatch(data.xs, data.ys);
      stepMs.push(performance.now() - t0);
    }
    const { counts: stepKernels } = await counting(() => model.trainOnBatch(data.xs, data.ys));
    // The cache the profiled measurement starts from is one training step old, as the monitor's at `every: 1`.
    await measureModel(model, probe, { cache });
    await model.trainOnBatch(data.xs, data.ys);
    // The phase boundaries: the time and a copy of the counts at each pause.
    const marks = [];
    const { counts } = await counting(async (live) => {
      const mark = () => marks.push({ at: performance.now(), counts: new Map(live) });
      mark();
      await measureModel(model, probe, { cache, pause: async () => mark() });
      mark();
    });
    const rows = marks.slice(1).map((m, i) => ({
      phase: PHASES[i] ?? `phase ${i + 1}`,
      ms: m.at - marks[i].at,
      kernels: minus(m.counts, marks[i].counts),
    }));
    const measurementMs = marks.at(-1).at - marks[0].at;
    const train = median(stepMs);
    console.log(`\n${cell} n=${units} T=${steps}: training step ${train.toFixed(1)} ms, ${total(stepKernels)} kernels; warm measurement ${measurementMs.toFixed(1)} ms (${(measurementMs / train).toFixed(2)} of a step), ${total(counts)} kernels`);
    console.log('| phase | ms | share | kernels | most frequent |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.phase} | ${r.ms.toFixed(1)} | ${((100 * r.ms) / measurementMs).toFixed(0)}% | ${total(r.kernels)} | ${top(r.kernels)} |`);
  } finally {
    cache.dispose();
    model.optimizer?.dispose();
    model.dispose();
    disposeAll(data, probe);
  }
}

const args = process.argv.slice(2);
let trained = 0;
let seen = false;
for (let i = args.findIndex((a) => a.startsWith('--')); i >= 0; i = args.findIndex((a) => a.startsWith('--'))) {
  const [flag, inline] = args[i].split('=', 2);
  const value = inline ?? args[i + 1];
  if (flag !== '--trained') throw new Error(`bench/profile: unknown option '${flag}' (known: --trained N)`);
  if (seen) throw new Error('bench/profile: --trained given twice');
  seen = true;
  if (!/^\d+$/.test(value ?? '')) throw new Error(`bench/profile: --trained takes a number of training steps (an integer >= 0), got '${value ?? ''}'`);
  trained = Number(value);
  args.splice(i, inline === undefined ? 2 : 1);
}
const configs = (args.length > 0 ? args : DEFAULT).map(parse);
console.log(`backend ${await useBackend('wasm')}, tfjs ${tf.version.tfjs}; one warm measurement (S = 8, a MeasureCache one training step old) per model, after ${trained + 6} training steps`);
for (const config of configs) await profile(config);
