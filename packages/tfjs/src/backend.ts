import * as tf from '@tensorflow/tfjs';

export interface BackendChoice {
  /** The backend tfjs now runs on ('wasm', 'cpu', 'webgl', 'tensorflow', …). */
  backend: string;
  /** Why: chosen by gradscope, kept because the user had chosen, or a fallback. */
  reason: string;
}

/**
 * Picks the fastest backend that works here and says which. In Node that is
 * @tensorflow/tfjs-backend-wasm (it ships its binary in the npm package and
 * ran an LSTM training step 3–5× faster than the pure-JS cpu backend), with
 * cpu as the fallback. A backend the user already set up (tfjs-node's
 * 'tensorflow', webgl in a page) is kept: gradscope never switches away
 * from a native or GPU backend.
 */
export async function useBestBackend(options: { prefer?: 'wasm' | 'cpu'; log?: (line: string) => void } = {}): Promise<BackendChoice> {
  const log = options.log ?? ((line: string) => console.log(line));
  const prefer = options.prefer ?? 'wasm';
  if (prefer !== 'wasm' && prefer !== 'cpu') {
    throw new Error(`useBestBackend: options.prefer must be 'wasm' or 'cpu', got '${String(prefer)}'`);
  }
  const current = tf.engine().backendName;
  if (current && current !== 'cpu' && current !== 'wasm') {
    const choice = { backend: current, reason: 'already selected by the program' };
    log(`gradscope: tfjs backend '${current}' (${choice.reason})`);
    return choice;
  }
  let choice: BackendChoice = { backend: 'cpu', reason: 'asked for' };
  if (prefer === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) choice = { backend: 'wasm', reason: 'fastest available' };
      else choice = { backend: 'cpu', reason: 'wasm failed to initialise' };
    } catch (err) {
      choice = { backend: 'cpu', reason: `wasm unavailable: ${(err as Error).message}` };
    }
  }
  if (choice.backend === 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  log(`gradscope: tfjs backend '${tf.getBackend()}' (${choice.reason})`);
  return { backend: tf.getBackend(), reason: choice.reason };
}
