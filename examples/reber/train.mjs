// The embedded Reber grammar, LSTM against SimpleRNN: predict the branch
// symbol (T or P) chosen at the start, after an inner Reber string.
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend, withClipping } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { openCarryGate, recurrentLayer } from '../lib/cells.mjs';
import { progress } from '../lib/progress.mjs';
import { embeddedReber, SYMBOLS } from './grammar.mjs';

const args = parseArgs(
  { length: 40, 'min-inner': 20, units: 24, samples: 512, epochs: 15, logdir: './gradscope-runs', serve: true, every: 10 },
  `usage: node examples/reber/train.mjs [flags]
  --length N     symbols per input sequence, front-padded with B (default 40)
  --min-inner N  shortest inner Reber string: the dependency distance (default 20)
  --units N      recurrent units (default 24)
  --samples N    training strings (default 512)
  --epochs N     epochs per model (default 15)
  --every N      measure at most every N steps (default 10)
  --logdir DIR   where runs are written (default ./gradscope-runs)
  --no-serve     do not start the embedded dashboard server`,
);

await useBestBackend();
const { sequences, labels } = embeddedReber(args.samples, args.length, 7, args['min-inner']);
const oneHot = sequences.map((seq) => seq.map((s) => SYMBOLS.map((x) => (x === s ? 1 : 0))));
const xs = tf.tensor3d(oneHot);
const ys = tf.tensor2d(labels, [labels.length, 1]);
const probe = { xs: xs.slice(0, 8), ys: ys.slice(0, 8) };

for (const kind of ['simpleRNN', 'lstm']) {
  const model = tf.sequential({ name: `reber-${kind}` });
  const layer = recurrentLayer(kind, { units: args.units, inputShape: [args.length, SYMBOLS.length], name: kind });
  model.add(layer);
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  openCarryGate(layer, kind); // without it the LSTM's f = 0.7 forgets faster than the SimpleRNN
  model.compile({ optimizer: withClipping(tf.train.adam(1e-2), { globalClipNorm: 1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  console.log(`\n== embedded Reber, ${args.length} symbols, inner string ≥ ${args['min-inner']}, ${kind} ==`);
  const monitor = gradscope({ probe, runName: `reber-${kind}`, logdir: args.logdir, serve: args.serve, every: args.every, budget: 1 });
  const history = await model.fit(xs, ys, { epochs: args.epochs, batchSize: 32, callbacks: [monitor, progress(kind, { everySteps: 1e9 })], verbose: 0 });
  const acc = history.history.acc ?? history.history.accuracy;
  console.log(`${kind}: accuracy ${Number(acc.at(-1)).toFixed(3)} (chance 0.5), run ${monitor.runId}`);
}

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
