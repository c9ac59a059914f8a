// A flooding training process for the slow-subscriber test: publishes
// `count` train-step events of about 1 kB (after run-start) as fast as the
// server acknowledges them, 8 batches of 500 in flight, then prints
// "flooded N" and exits.
import WebSocket from 'ws';

const [url, runId, countArg] = process.argv.slice(2);
const count = Number(countArg);
const pad = 'x'.repeat(800);
const line = (seq) =>
  seq === 0
    ? JSON.stringify({ version: 1, type: 'run-start', runId, seq, step: 0, epoch: 0, time: Date.now(), name: 'flood', model: { layers: [], totalParams: 0 }, backend: 'cpu', options: {}, versions: {} })
    : JSON.stringify({ version: 1, type: 'train-step', runId, seq, step: seq - 1, epoch: 0, time: Date.now(), loss: 1 / seq, metrics: {}, gradNormBefore: null, gradNormAfter: null, learningRate: null, note: pad });
const ws = new WebSocket(url);
let next = 0;
let inFlight = 0;
const pump = () => {
  while (inFlight < 8 && next < count) {
    const lines = [];
    for (let i = 0; i < 500 && next < count; i++) lines.push(line(next++));
    ws.send(`{"type":"events","events":[${lines.join(',')}]}`);
    inFlight++;
  }
};
ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', runId })));
ws.on('message', (data) => {
  const m = JSON.parse(data.toString());
  if (m.type === 'welcome') pump();
  if (m.type === 'ack') {
    inFlight--;
    if (m.lastSeq === count - 1) {
      process.stdout.write(`flooded ${count}\n`);
      ws.close();
      return;
    }
    pump();
  }
  if (m.type === 'error') process.stderr.write(`${m.code}: ${m.message}\n`);
});
