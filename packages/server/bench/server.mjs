// Benchmark of the live server (run: npm run bench:server, after npm run build).
// The server runs as a child process (`gradscope serve`), the clients here, on loopback:
// 1. ingest rate with 1, 10 and 50 publishers (batches of 100 train-steps, 4 batches in flight each);
// 2. publisher → subscriber latency, median and p99, one event every 5 ms (includes the 100 ms coalescing tick);
// 3. server RSS after 1 million stored events, and after a restart that re-indexes them.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeEvent, exampleEvent } from '@gradscope/protocol';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'gradscope.js');
let logdir = mkdtempSync(join(tmpdir(), 'gradscope-bench-'));
const dirs = [logdir];
const base = exampleEvent('train-step');
const start = exampleEvent('run-start');
// Seq 0 is a run-start (the server refuses anything else there).
const line = (runId, seq) => encodeEvent(seq === 0 ? { ...start, runId, seq, step: 0, time: Date.now() } : { ...base, runId, seq, step: seq, time: Date.now(), loss: 1 / (seq + 1) });

function serve() {
  const child = spawn(process.execPath, [bin, 'serve', '--logdir', logdir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.on('data', (d) => { const m = /→ (http:\S+)/.exec(String(d)); if (m) resolve({ child, url: m[1] }); }));
}
const open = (url) => new Promise((resolve, reject) => { const ws = new WebSocket(url); ws.once('open', () => resolve(ws)); ws.once('error', reject); });

/** One publisher: sends `total` events (or until `deadline`), window of 4 batches; resolves with events acknowledged. */
async function publisher(url, runId, total, deadline = Infinity) {
  const ws = await open(url.replace('http', 'ws') + 'ws/publish');
  ws.send(JSON.stringify({ type: 'hello', runId }));
  return new Promise((resolve) => {
    let sent = 0, acked = -1, inFlight = 0;
    const pump = () => {
      while (inFlight < 4 && sent < total && Date.now() < deadline) {
        const n = Math.min(500, total - sent);
        const batch = Array.from({ length: n }, (_, i) => line(runId, sent + i));
        ws.send(`{"type":"events","events":[${batch.join(',')}]}`);
        sent += n; inFlight++;
      }
      if (inFlight === 0) { ws.close(); resolve(acked + 1); }
    };
    ws.on('close', () => resolve(acked + 1));
    ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'error') console.error(runId, m);
      if (m.type === 'welcome') pump();
      if (m.type === 'ack') { acked = m.lastSeq; inFlight--; pump(); }
    });
  });
}

async function ingest(url, n) {
  const ms = 2000;
  const t0 = Date.now();
  const counts = await Promise.all(Array.from({ length: n }, (_, i) => publisher(url, `ingest-${n}-${i}`, 1e9, t0 + ms)));
  const total = counts.reduce((a, b) => a + b, 0);
  return total / ((Date.now() - t0) / 1000);
}

async function latency(url) {
  const runId = 'latency';
  const sub = await open(url.replace('http', 'ws') + 'ws/subscribe');
  const sentAt = new Map(), lat = [];
  sub.on('message', (d) => {
    const m = JSON.parse(d);
    if (m.type === 'events') for (const e of m.events) if (sentAt.has(e.seq)) lat.push(performance.now() - sentAt.get(e.seq));
  });
  const ws = await open(url.replace('http', 'ws') + 'ws/publish');
  ws.send(JSON.stringify({ type: 'hello', runId }));
  await new Promise((r) => ws.once('message', r));
  sub.send(JSON.stringify({ type: 'subscribe', runs: [runId] }));
  await new Promise((r) => setTimeout(r, 200));
  for (let seq = 0; seq < 1000; seq++) {
    sentAt.set(seq, performance.now());
    ws.send(`{"type":"events","events":[${line(runId, seq)}]}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 500));
  ws.close(); sub.close();
  lat.sort((a, b) => a - b);
  return { median: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], samples: lat.length };
}

const mem = async (url) => { const s = await (await fetch(url + 'api/stats')).json(); return { rss_mib: Math.round(s.rssBytes / 2 ** 20), heap_used_mib: Math.round(s.heapUsedBytes / 2 ** 20), events: s.eventsStored }; };

let { child, url } = await serve();
const results = {};
for (const n of [1, 10, 50]) console.error('ingest', n, (results[`ingest_${n}_publishers_events_per_s`] = Math.round(await ingest(url, n))));
console.error((results.latency_ms = await latency(url)));
// The million on a fresh server and logdir: 20 runs of 50 000 events, 10 publishers at a time.
child.kill('SIGKILL');
logdir = mkdtempSync(join(tmpdir(), 'gradscope-bench-1m-'));
dirs.push(logdir);
({ child, url } = await serve());
const perRun = 50_000;
for (let i = 0; i < 20; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => publisher(url, `million-${i + j}`, perRun)));
results.after_1M_events_ingested = await mem(url);
child.kill('SIGKILL');
const t0 = Date.now();
({ child, url } = await serve());
results.restart_reindex_1M_s = (Date.now() - t0) / 1000;
results.after_restart_over_1M_events = await mem(url);
child.kill('SIGTERM');
for (const d of dirs) rmSync(d, { recursive: true, force: true });
console.log(JSON.stringify(results, null, 2));
