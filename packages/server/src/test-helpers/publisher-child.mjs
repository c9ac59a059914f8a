// A stand-in training process for the kill test: publishes a run's events
// (run-start, then a train-step every 5 ms, never a run-end) until killed.
import WebSocket from 'ws';

const [url, runId] = process.argv.slice(2);
const ws = new WebSocket(url);
let seq = 0;
const event = (type, extra) => ({ version: 1, type, runId, seq: seq++, step: Math.max(0, seq - 2), epoch: 0, time: Date.now(), ...extra });
ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', runId })));
ws.on('message', (data) => {
  const m = JSON.parse(data.toString());
  if (m.type === 'welcome') {
    ws.send(JSON.stringify({ type: 'events', events: [event('run-start', { name: 'child', model: { layers: [], totalParams: 0 }, backend: 'cpu', options: {}, versions: {} })] }));
    setInterval(() => {
      ws.send(JSON.stringify({ type: 'events', events: [event('train-step', { loss: 0.5, metrics: {}, gradNormBefore: null, gradNormAfter: null, learningRate: null })] }));
    }, 5);
  }
  if (m.type === 'ack' && m.lastSeq === 20) process.stdout.write('published 20\n');
});
