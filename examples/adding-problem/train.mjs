// The adding problem with SimpleRNN, GRU and LSTM: three runs, one command.
// Watch the SimpleRNN's gradient vanish through time while the gated cells
// keep it alive. See README.md beside this file.
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend, withClipping } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { openCarryGate, recurrentLayer } from '../lib/cells.mjs';
import { progress } from '../lib/progress.mjs';
import { addingProblem } from './data.mjs';

const args = parseArgs(
  { steps: 100, units: 32, samples: 1024, epochs: 10, batch: 32, cells: 'simpleRNN,gru,lstm', logdir: './gradscope-runs', serve: true, every: 10, budget: 0.2 },
  `usage: node examples/adding-problem/train.mjs [flags]
  --steps N      sequence length T (default 100; the task needs T ≥ 100 to be hard)
  --units N      recurrent units (default 32)
  --samples N    training sequences (default 1024)
  --epochs N     epochs per model (default 10)
  --batch N      batch size (default 32)
  --cells LIST   which cells, comma-separated (default simpleRNN,gru,lstm)
  --every N      measure at most every N steps (default 10)
  --budget X     fraction of training time the monitor may use (default 0.2)
  --logdir DIR   where runs are written (default ./gradscope-runs)
  --no-serve     do not start the embedded dashboard server`,
);

await useBestBackend();
const T = args.steps;
const n = args.units;
const { xs, ys } = addingProblem(args.samples, T, 1);
const probe = { xs: xs.slice(0, 8), ys: ys.slice(0, 8) };

/** One model per cell kind; gated cells start with their carry gate open (see lib/cells.mjs). */
function build(kind) {
  const layer = recurrentLayer(kind, { units: n, inputShape: [T, 2], name: kind });
  const model = tf.sequential({ name: `adding-${kind}` });
  model.add(layer);
  model.add(tf.layers.dense({ units: 1 }));
  openCarryGate(layer, kind);
  model.compile({ optimizer: withClipping(tf.train.adam(3e-3), { globalClipNorm: 1 }), loss: 'meanSquaredError' });
  return model;
}

const kinds = args.cells.split(',').map((k) => k.trim());
for (const kind of kinds) {
  if (!['simpleRNN', 'gru', 'lstm'].includes(kind)) {
    console.error(`--cells: unknown cell '${kind}' (known: simpleRNN, gru, lstm)`);
    process.exit(2);
  }
}
for (const kind of kinds) {
  console.log(`\n== adding problem, T = ${T}, ${kind} (${n} units) ==`);
  const model = build(kind);
  const monitor = gradscope({ probe, runName: `adding-${kind}`, logdir: args.logdir, serve: args.serve, every: args.every, budget: args.budget });
  await model.fit(xs, ys, { epochs: args.epochs, batchSize: args.batch, callbacks: [monitor, progress(kind)], verbose: 0 });
  console.log(`${kind}: run ${monitor.runId} written to ${args.logdir}`);
}
console.log('\nBaseline: predicting 1.0 for every sequence gives MSE ≈ 0.167.');

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
