// Training in a web page: tfjs in the browser, the gradscope callback
// publishing to a running `gradscope serve` through the browser's WebSocket.
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';
import { addingProblem } from '../adding-problem/data.mjs';
import { openCarryGate, recurrentLayer } from '../lib/cells.mjs';

const params = new URLSearchParams(location.search);
// The page is served next to the gradscope server, which says where it is.
const server = params.get('server') ?? `ws://${location.hostname}:6007`;
const steps = Number(params.get('steps') ?? 40);
const epochs = Number(params.get('epochs') ?? 3);
document.getElementById('dashboard').href = server.replace(/^ws/, 'http');

const log = document.getElementById('log');
const say = (line) => {
  log.textContent = log.textContent === 'starting…' ? line : `${log.textContent}\n${line}`;
};
// ?backend=cpu (or webgl): train on that backend instead of the browser's best.
if (params.get('backend') && !(await tf.setBackend(params.get('backend')).catch(() => false))) {
  say(`tfjs backend '${params.get('backend')}' is not available in this page (try cpu or webgl)`);
  throw new Error(`backend ${params.get('backend')} not available`);
}

async function train(kind) {
  const { xs, ys } = addingProblem(128, steps, 2);
  const layer = recurrentLayer(kind, { units: 16, inputShape: [steps, 2], name: kind });
  const model = tf.sequential({ name: `browser-${kind}` });
  model.add(layer);
  model.add(tf.layers.dense({ units: 1 }));
  openCarryGate(layer, kind);
  model.compile({ optimizer: tf.train.adam(3e-3), loss: 'meanSquaredError' });
  // In a page there is no logdir: the server stores the run.
  const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, url: server, runName: `browser-${kind}`, console: false, every: 2, budget: 1 });
  await model.fit(xs, ys, {
    epochs,
    batchSize: 32,
    callbacks: [monitor, new tf.CustomCallback({ onEpochEnd: async (epoch, logs) => say(`${kind}: epoch ${epoch + 1}, loss ${logs.loss.toFixed(4)}`) })],
  });
  say(`${kind}: run ${monitor.runId} sent to ${server}`);
  tf.dispose([xs, ys]);
  return monitor.runId;
}

await tf.ready();
say(`tfjs backend: ${tf.getBackend()}`);
const runs = [];
for (const kind of ['gru', 'simpleRNN']) runs.push(await train(kind));
say('done');
window.__gradscopeExample = { done: true, runs };
