// A SimpleRNN whose recurrent kernel starts with gain 1.2 (‖R‖ = ρ(R) = 1.2):
// trained once without clipping (λ₁ > 0, gradient spikes, NaN — all reported),
// once with withClipping at a chosen threshold, and once with AutoClip, which
// picks its threshold from the run's own gradient norms (clip events, training
// succeeds both times).
import * as tf from '@tensorflow/tfjs';
import { gradscope, serveForever, useBestBackend, withClipping } from '@gradscope/tfjs';
import { parseArgs } from '../lib/args.mjs';
import { progress } from '../lib/progress.mjs';

const args = parseArgs(
  { steps: 30, units: 16, gain: 1.2, lr: 0.3, clip: 0.5, percentile: 1, epochs: 40, logdir: './gradscope-runs', serve: true, every: 1 },
  `usage: node examples/exploding/train.mjs [flags]
  --steps N     sequence length T (default 30)
  --units N     recurrent units (default 16)
  --gain X      gain of the orthogonal recurrent initialiser (default 1.2)
  --lr X        SGD learning rate (default 0.3)
  --clip X      globalClipNorm of the clipped run (default 0.5)
  --percentile P  AutoClip percentile of the third run (default 1)
  --epochs N    full-batch epochs per run (default 40)
  --every N     measure at most every N steps (default 1)
  --logdir DIR  where runs are written (default ./gradscope-runs)
  --no-serve    do not start the embedded dashboard server`,
);

await useBestBackend();
const T = args.steps;
// Task: the sum of the first feature over the last five steps.
const xs = tf.randomUniform([64, T, 2], -1, 1, 'float32', 5);
const ys = tf.sum(xs.slice([0, T - 5, 0], [-1, 5, 1]), 1);
const probe = { xs: xs.slice(0, 8), ys: ys.slice(0, 8) };

/** @param {'unclipped' | 'clipped' | 'autoclip'} mode */
async function train(mode) {
  const model = tf.sequential({ name: `exploding-${mode}` });
  model.add(
    tf.layers.simpleRNN({
      units: args.units,
      inputShape: [T, 2],
      name: 'rnn',
      recurrentInitializer: tf.initializers.orthogonal({ gain: args.gain, seed: 1 }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  model.add(tf.layers.dense({ units: 1, name: 'readout', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  const sgd = tf.train.sgd(args.lr);
  // Unclipped, the optimizer is still observed: gradscope records its gradient norms.
  const optimizer =
    mode === 'clipped' ? withClipping(sgd, { globalClipNorm: args.clip }) : mode === 'autoclip' ? withClipping(sgd, { autoClip: { percentile: args.percentile } }) : sgd;
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const label = mode === 'clipped' ? `clipped at ${args.clip}` : mode === 'autoclip' ? `autoclip at the ${args.percentile}th percentile` : 'unclipped';
  console.log(`\n== exploding SimpleRNN, gain ${args.gain}, ${label} ==`);
  const monitor = gradscope({ probe, runName: `exploding-${mode}`, logdir: args.logdir, serve: args.serve, every: args.every, budget: 10, worker: false }); // a 40-step demo: measure every step, whatever it costs (on the training thread: a worker would skip the steps it is busy for)
  const history = await model.fit(xs, ys, { epochs: args.epochs, batchSize: 64, shuffle: false, callbacks: [monitor, progress(label, { everySteps: 1e9 })], verbose: 0 });
  const losses = history.history.loss.map(Number);
  console.log(`${label}: loss ${losses[0].toFixed(3)} → ${losses.at(-1)} (run ${monitor.runId})`);
}

await train('unclipped');
await train('clipped');
await train('autoclip');

// Keep the embedded dashboard up until Ctrl-C (with --no-serve the script just ends).
if (args.serve) await serveForever();
