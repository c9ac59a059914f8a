// gradscope in a custom training loop: trainOnBatch, then monitor.step().
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend, withClipping } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { addingProblem } from '../adding-problem/data.mjs';

const args = parseArgs(
  { steps: 50, iterations: 60, logdir: './gradscope-runs', serve: true, url: '' },
  `usage: node examples/custom-loop/train.mjs [--steps N] [--iterations N] [--logdir DIR] [--url ws://HOST:PORT] [--no-serve]
  --url  publish to a running \`gradscope serve\` instead of starting the embedded one`,
);
await useBestBackend();

const { xs, ys } = addingProblem(256, args.steps, 4);
const model = tf.sequential({ name: 'custom-loop' });
model.add(tf.layers.lstm({ units: 16, inputShape: [args.steps, 2], name: 'lstm' }));
model.add(tf.layers.dense({ units: 1 }));
model.compile({ optimizer: withClipping(tf.train.adam(3e-3), { globalClipNorm: 1 }), loss: 'meanSquaredError' });

const monitor = gradscope({
  probe: { xs: xs.slice(0, 8), ys: ys.slice(0, 8) },
  runName: 'custom-loop',
  logdir: args.logdir,
  serve: args.serve,
  ...(args.url ? { url: args.url } : {}),
});
for (let i = 0; i < args.iterations; i++) {
  const start = (i * 32) % 256;
  const batchXs = xs.slice(start, 32);
  const batchYs = ys.slice(start, 32);
  const loss = await model.trainOnBatch(batchXs, batchYs);
  tf.dispose([batchXs, batchYs]);
  // Records the step (loss, gradient norms, clip events) and measures when due.
  await monitor.step(model, { loss });
  if ((i + 1) % 20 === 0) console.log(`custom-loop: iteration ${i + 1}, loss ${Number(loss).toFixed(4)}`);
}
await monitor.close(); // ends the run and flushes every sink
console.log(`custom-loop: run ${monitor.runId} written to ${args.logdir}`);

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
