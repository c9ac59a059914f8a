import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Tests run on the backend users get by default in Node (wasm). Set
 * GRADSCOPE_TEST_BACKEND=cpu to run them on the pure-JS backend instead.
 */
export async function useTestBackend(): Promise<string> {
  const wanted = process.env.GRADSCOPE_TEST_BACKEND ?? 'wasm';
  if (tf.getBackend() !== wanted) {
    const ok = await tf.setBackend(wanted);
    if (!ok) throw new Error(`test backend '${wanted}' could not be initialised`);
  }
  await tf.ready();
  return tf.getBackend();
}
