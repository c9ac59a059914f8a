/**
 * A real, short tfjs training run monitored by gradscope: an LSTM (or GRU) on a toy
 * sequence task, clipped hard (clipNorm 0.05) so clip events are certain,
 * measured every step (on the training thread). A small pause per batch keeps it live long enough for
 * the browser to watch the heatmap grow.
 */
import * as tf from '@tensorflow/tfjs';
import { gradscope, withClipping } from '@gradscope/tfjs';

export async function trainShortRun(o: { url: string; logdir: string; steps: number; pauseMs: number; cell?: 'lstm' | 'gru'; runName?: string }): Promise<void> {
  await tf.setBackend('cpu');
  const T = 16;
  const xs = tf.randomNormal([32, T, 3], 0, 1, 'float32', 7);
  const ys = xs.sum(1).slice([0, 0], [32, 1]);
  const model = tf.sequential({ name: `e2e_${o.cell ?? 'lstm'}` });
  const cell = { units: 8, inputShape: [T, 3], recurrentInitializer: tf.initializers.orthogonal({ gain: 1.5, seed: 3 }) };
  model.add(o.cell === 'gru' ? tf.layers.gru(cell) : tf.layers.lstm(cell));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: withClipping(tf.train.adam(0.02), { clipNorm: 0.05 }), loss: 'meanSquaredError', metrics: ['mae'] });
  const monitor = gradscope({
    probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) },
    every: 1,
    budget: 100,
    // Every step measured, on the training thread: a worker would start a second or so into a 12-step run and then measure every few steps.
    worker: false,
    console: false,
    logdir: o.logdir,
    runName: o.runName ?? 'e2e LSTM (clipNorm 0.05)',
    url: o.url,
  });
  const pause = new (class extends tf.Callback {
    override async onBatchEnd(): Promise<void> {
      await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  })();
  await model.fit(xs, ys, { epochs: o.steps / 4, batchSize: 8, callbacks: [monitor, pause], verbose: 0 });
  tf.dispose([xs, ys]);
  model.dispose();
}
