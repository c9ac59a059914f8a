import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `script` as an ES module in a child Node process whose working
 * folder is this package (so `./dist/node.js` is the built package), after
 * `prefix` (e.g. ['taskset', '-c', '0']). Resolves to its output; rejects
 * when it exits with an error, with its exit code and output on the error.
 */
export function runModuleScript(script: string, prefix: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const [command, ...args] = [...prefix, process.execPath, '--input-type=module', '-e', script];
  return new Promise((resolve, reject) =>
    execFile(command!, args, { cwd }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr }))),
  );
}

/**
 * The start of a script for runModuleScript: the built package on the best
 * backend (or on cpu, where the wasm backend is never loaded), 8 sequences
 * of 5 steps and a compiled GRU(3) → Dense(1) model as `xs`, `ys`, `model`,
 * `tf` and `gradscope`; `body` follows.
 */
export function tinyGruScript(body: string, backend: 'best' | 'cpu' = 'best'): string {
  return `
    import * as tf from '@tensorflow/tfjs';
    import { gradscope, useBestBackend } from './dist/node.js';
    ${backend === 'cpu' ? "await tf.setBackend('cpu');" : 'await useBestBackend({ log: () => {} });'}
    const xs = tf.randomNormal([8, 5, 2]), ys = tf.randomNormal([8, 1]);
    const model = tf.sequential({ layers: [tf.layers.gru({ units: 3, inputShape: [5, 2] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    ${body}
  `;
}
