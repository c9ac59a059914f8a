import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../lib/random.mjs';

/**
 * The adding problem (Hochreiter & Schmidhuber 1997): each step carries a
 * random value in [0, 1] and a marker; exactly two steps are marked, one in
 * the first half and one in the second; the target is the sum of the two
 * marked values. Predicting the mean (1.0) gives MSE ≈ 0.167, so a model
 * beats that only by carrying the first marked value across ~T/2 steps.
 *
 * @returns xs [samples, steps, 2] (value, marker), ys [samples, 1]
 */
export function addingProblem(samples, steps, seed = 1) {
  const random = seededRandom(seed);
  const xs = new Float32Array(samples * steps * 2);
  const ys = new Float32Array(samples);
  const half = Math.floor(steps / 2);
  for (let s = 0; s < samples; s++) {
    const first = Math.floor(random() * half);
    const second = half + Math.floor(random() * (steps - half));
    for (let t = 0; t < steps; t++) {
      const value = random();
      const marked = t === first || t === second;
      xs[(s * steps + t) * 2] = value;
      xs[(s * steps + t) * 2 + 1] = marked ? 1 : 0;
      if (marked) ys[s] += value;
    }
  }
  return { xs: tf.tensor3d(xs, [samples, steps, 2]), ys: tf.tensor2d(ys, [samples, 1]) };
}

/**
 * Delayed recall: each step carries a random value in [0, 1] and a marker;
 * exactly one step among the first `window` is marked, and the target is its
 * value, asked for after all `steps`. The values after it are distractors the
 * model must not let overwrite what it stored. Predicting the mean (0.5)
 * gives MSE = 1/12 ≈ 0.083; any model that beats it carries the marked value
 * across at least steps − window steps — there is no partial credit from the
 * end of the sequence, unlike the adding problem's second term.
 *
 * @returns xs [samples, steps, 2] (value, marker), ys [samples, 1]
 */
export function delayedRecall(samples, steps, seed = 1, window = 5) {
  const random = seededRandom(seed);
  const xs = new Float32Array(samples * steps * 2);
  const ys = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    const marked = Math.floor(random() * window);
    for (let t = 0; t < steps; t++) {
      const value = random();
      xs[(s * steps + t) * 2] = value;
      xs[(s * steps + t) * 2 + 1] = t === marked ? 1 : 0;
      if (t === marked) ys[s] = value;
    }
  }
  return { xs: tf.tensor3d(xs, [samples, steps, 2]), ys: tf.tensor2d(ys, [samples, 1]) };
}
