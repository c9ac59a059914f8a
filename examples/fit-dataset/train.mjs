// gradscope with model.fitDataset: the dataset is tapped so that its first
// batch becomes the probe (no separate probe tensors needed).
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { addingProblem } from '../adding-problem/data.mjs';

const args = parseArgs({ steps: 50, epochs: 3, logdir: './gradscope-runs', serve: true }, `usage: node examples/fit-dataset/train.mjs [--steps N] [--epochs N] [--logdir DIR] [--no-serve]`);
await useBestBackend();

const { xs, ys } = addingProblem(256, args.steps, 3);
const dataset = tf.data.zip({ xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys)) }).batch(32);

const model = tf.sequential({ name: 'fit-dataset' });
model.add(tf.layers.gru({ units: 16, inputShape: [args.steps, 2], name: 'gru' }));
model.add(tf.layers.dense({ units: 1 }));
model.compile({ optimizer: tf.train.adam(3e-3), loss: 'meanSquaredError' });

const monitor = gradscope({ runName: 'fit-dataset', logdir: args.logdir, serve: args.serve });
// monitor.tap(dataset): the first batch's first 8 sequences become the probe.
await model.fitDataset(monitor.tap(dataset), { epochs: args.epochs, callbacks: [monitor], verbose: 0 });
await monitor.close();
console.log(`fit-dataset: run ${monitor.runId} written to ${args.logdir}`);

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
