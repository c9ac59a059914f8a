// The main demo: a task a gated cell learns and a SimpleRNN cannot, because
// its gradient vanishes through time — trained one after the other and shown
// side by side on the dashboard. See README.md beside this file.
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend, withClipping } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { openCarryGate, recurrentLayer } from '../lib/cells.mjs';
import { progress } from '../lib/progress.mjs';
import { addingProblem, delayedRecall } from './data.mjs';

const TASKS = { recall: { data: delayedRecall, baseline: 1 / 12, what: 'predicting 0.5 for every sequence' }, adding: { data: addingProblem, baseline: 1 / 6, what: 'predicting 1.0 for every sequence' } };

const args = parseArgs(
  { task: 'recall', steps: 60, units: 32, samples: 1024, epochs: 12, batch: 32, lr: 0.01, seed: 1, cells: 'simpleRNN,gru', logdir: './gradscope-runs', serve: true, every: 10, budget: 0.2 },
  `usage: node examples/adding-problem/train.mjs [flags]
  --task NAME    recall (default: recall the value marked in the first 5 steps after T steps)
                 or adding (the adding problem: the sum of two marked values)
  --steps N      sequence length T (default 60)
  --units N      recurrent units (default 32)
  --samples N    training sequences (default 1024)
  --epochs N     epochs per model (default 12)
  --batch N      batch size (default 32)
  --lr X         Adam learning rate (default 0.01)
  --seed N       seed of the data and the initial weights (default 1)
  --cells LIST   which cells, comma-separated: simpleRNN, gru, lstm (default simpleRNN,gru)
  --every N      measure at most every N steps (default 10)
  --budget X     fraction of training time the monitor may use (default 0.2)
  --logdir DIR   where runs are written (default ./gradscope-runs)
  --no-serve     do not start the embedded dashboard server`,
);

const task = TASKS[args.task];
if (!task) {
  console.error(`--task: unknown task '${args.task}' (known: ${Object.keys(TASKS).join(', ')})`);
  process.exit(2);
}
const kinds = args.cells.split(',').map((k) => k.trim());
for (const kind of kinds) {
  if (!['simpleRNN', 'gru', 'lstm'].includes(kind)) {
    console.error(`--cells: unknown cell '${kind}' (known: simpleRNN, gru, lstm)`);
    process.exit(2);
  }
}

await useBestBackend();
const T = args.steps;
const n = args.units;
const { xs, ys } = task.data(args.samples, T, args.seed);
const probe = { xs: xs.slice(0, 8), ys: ys.slice(0, 8) };

/**
 * One model per cell kind; gated cells start with their carry gate open (see
 * lib/cells.mjs). The layer has the same name in every run, so the
 * dashboard's compare overlays one run's layer on the other's.
 */
function build(kind) {
  const layer = recurrentLayer(kind, { units: n, inputShape: [T, 2], name: 'recurrent' }, args.seed);
  const model = tf.sequential({ name: `${args.task}-${kind}` });
  model.add(layer);
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: args.seed + 2 }) }));
  openCarryGate(layer, kind);
  model.compile({ optimizer: withClipping(tf.train.adam(args.lr), { globalClipNorm: 1 }), loss: 'meanSquaredError' });
  return model;
}

const started = Date.now();
const finals = [];
for (const kind of kinds) {
  console.log(`\n== ${args.task}, T = ${T}, ${kind} (${n} units) ==`);
  const model = build(kind);
  const monitor = gradscope({ probe, runName: `${args.task}-${kind}`, logdir: args.logdir, serve: args.serve, every: args.every, budget: args.budget });
  const history = await model.fit(xs, ys, { epochs: args.epochs, batchSize: args.batch, callbacks: [monitor, progress(kind)], verbose: 0 });
  finals.push({ kind, loss: Number(history.history.loss.at(-1)) });
  console.log(`${kind}: run ${monitor.runId} written to ${args.logdir}`);
  model.dispose();
}
console.log(`\nFinal loss (mean over the last epoch), ${((Date.now() - started) / 1000).toFixed(0)} s in all; baseline (${task.what}) ≈ ${task.baseline.toFixed(3)}:`);
for (const f of finals) console.log(`  ${f.kind}: ${f.loss.toFixed(4)}`);

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
