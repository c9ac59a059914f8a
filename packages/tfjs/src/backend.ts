import * as tf from '@tensorflow/tfjs';
import { platform } from './platform/platform.js';

export interface BackendChoice {
  /** The backend tfjs now runs on ('wasm', 'cpu', 'webgl', 'tensorflow', …). */
  backend: string;
  /** Why: chosen by gradscope, kept because the user had chosen, or a fallback. */
  reason: string;
}

/**
 * Picks the fastest backend that works here and says which.
 *
 * In Node that is @tensorflow/tfjs-backend-wasm (it ships its binary in the
 * npm package and ran an LSTM training step 3–5× faster than the pure-JS cpu
 * backend), with cpu as the fallback; a backend the program already chose
 * (tfjs-node's 'tensorflow') is kept.
 *
 * In a page it never switches: it waits for tfjs to initialise the page's
 * own choice (webgl or webgpu where the browser has them) and reports it.
 * Switching there would need the wasm binaries served by the page's bundler,
 * and would trade a GPU for a CPU.
 */
export async function useBestBackend(options: { prefer?: 'wasm' | 'cpu'; log?: (line: string) => void } = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => console.log(line));
  const prefer = options.prefer ?? 'wasm';
  if (prefer !== 'wasm' && prefer !== 'cpu') {
    throw new Error(`useBestBackend: options.prefer must be 'wasm' or 'cpu', got '${String(prefer)}'`);
  }
  if (platform().name === 'browser') {
    await tf.ready();
    const reason = "the page's own backend: gradscope does not switch backends in a page";
    log(`gradscope: tfjs backend '${tf.getBackend()}' (${reason})`);
    return { backend: tf.getBackend(), reason };
  }
  // engine().backendName is set only once a backend is initialised: reading
  // it does not initialise one (tf.getBackend() would).
  const current = tf.engine().backendName;
  if (current && current !== 'cpu' && current !== 'wasm') {
    const choice = { backend: current, reason: 'already selected by the program' };
    log(`gradscope: tfjs backend '${current}' (${choice.reason})`);
    return choice;
  }
  let reason = 'asked for';
  if (prefer === 'wasm') {
    const whyNot = await platform().selectWasm();
    reason = whyNot === null ? 'fastest available' : whyNot;
  }
  if (tf.engine().backendName !== 'wasm') await tf.setBackend('cpu');
  await tf.ready();
  log(`gradscope: tfjs backend '${tf.getBackend()}' (${reason})`);
  return { backend: tf.getBackend(), reason };
}
