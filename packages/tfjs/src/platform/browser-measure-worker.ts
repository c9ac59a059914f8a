/**
 * Starts the measurement worker in a page: a module Web Worker running
 * measure-worker/browser-entry.js. The `new Worker(new URL(…,
 * import.meta.url), { type: 'module' })` form is the one bundlers (Vite,
 * webpack 5) recognise and emit as a worker file of its own. Replies are queued as
 * they arrive and polled between training steps.
 *
 * The worker measures on tfjs's cpu backend: a page training on WebGL or
 * WebGPU would otherwise share its GPU with the measurement, and the wasm
 * backend would need its binaries served to the worker too.
 */
import type { MeasureWorkerLink } from '../measure-worker/link.js';
import type { FromWorker, ToWorker } from '../measure-worker/messages.js';

export async function startBrowserMeasureWorker(): Promise<MeasureWorkerLink> {
  if (typeof Worker === 'undefined') throw new Error('this page has no Web Worker');
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  if (cores < 2) throw new Error(`this browser reports ${cores} CPU core, and a worker would take its time from the page's training`);
  // Literally this form: it is what bundlers look for to emit the entry as a worker file.
  const worker = new Worker(new URL('../measure-worker/browser-entry.js', import.meta.url), { type: 'module', name: 'gradscope-measure' });
  const replies: FromWorker[] = [];
  let died: Error | null = null;
  worker.onmessage = (event: MessageEvent<FromWorker>) => replies.push(event.data);
  // A worker file the bundler did not emit (a 404) or that fails to load lands here too.
  worker.onerror = (event: ErrorEvent) => {
    // Handled here: not cancelled, a worker's uncaught error is raised again in the page as its own.
    event.preventDefault();
    died ??= new Error(event.message ? event.message + devServerHint(event.message) : 'the worker script failed to load (was it emitted by the bundler?)');
  };
  worker.onmessageerror = () => {
    died ??= new Error('a message from the worker could not be read');
  };
  return {
    backend: 'cpu',
    threadTakesOver: false,
    post(msg: ToWorker, transfer: ArrayBuffer[] = []) {
      worker.postMessage(msg, transfer);
    },
    poll() {
      return replies.shift();
    },
    get died() {
      return died;
    },
    async terminate() {
      worker.terminate();
    },
  };
}

/**
 * What a dev server that serves the worker's modules unbundled (Vite's, with
 * no configuration) stops it with: a CommonJS module of tfjs's run as an ES
 * module ("module is not defined"; Safari: "Can't find variable: module").
 * The page itself runs, from the dependencies the server bundled.
 */
function devServerHint(message: string): string {
  if (!/\b(module|require|exports) is not defined\b|Can't find variable: (module|require|exports)\b/.test(message)) return '';
  return " (if a dev server serves this page: Vite's serves the worker's modules unbundled; add optimizeDeps: { include: ['@gradscope/core'] } to its config)";
}
