/**
 * Live streaming end to end: a real tfjs training run publishes with
 * gradscope({ url }) to a real server on loopback; a real ws subscriber
 * receives every event in order; REST returns the same as the local file.
 * Also: the publisher across a SIGKILLed and restarted `gradscope serve`,
 * and the embedded server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeEvent, exampleEvent, type GradscopeEvent } from '@gradscope/protocol';
import { openWebSocket, startServer } from '@gradscope/server';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { readRuns, tempLogdir } from '../test-helpers/runs.js';
import { gradscope } from './monitor.js';
import type { SocketLike } from './publisher-socket.js';
import { WsPublisher } from './ws-publisher.js';

const T = 6;
function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.simpleRNN({ units: 4, inputShape: [T, 2] }));
  m.add(tf.layers.dense({ units: 1 }));
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return m;
}

function subscribe(url: string): { seqs: number[]; events: any[]; ws: any; ready: Promise<void> } {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'ws/subscribe');
  const out = { seqs: [] as number[], events: [] as any[], ws, ready: new Promise<void>((r) => ws.once('open', () => r())) };
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', runs: '*' })));
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'replay' || m.type === 'events') for (const e of m.events) out.seqs.push(e.seq), out.events.push(e);
  });
  return out;
}

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  await useTestBackend();
});

describe('live streaming', () => {
  const logs = tempLogdir();
  const serverLogs = tempLogdir();
  afterAll(() => {
    logs.remove();
    serverLogs.remove();
  });

  it('a real training run published with gradscope({ url }) reaches a subscriber in order, and REST agrees', async () => {
    const server = await startServer({ logdir: serverLogs.dir, port: 0, log: null });
    const sub = subscribe(server.url);
    await sub.ready;
    const m = model();
    const xs = tf.randomNormal([16, T, 2], 0, 1, 'float32', 3);
    const ys = tf.randomNormal([16, 1], 0, 1, 'float32', 4);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, url: server.url.replace(/^http/, 'ws'), logdir: logs.dir, console: false, every: 2 });
    await m.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [monitor] });
    const local = [...readRuns(logs.dir).values()][0]!;
    expect(local.at(-1)!.type).toBe('run-end');
    await until(() => sub.seqs.length >= local.length);
    expect(sub.seqs).toEqual(local.map((e) => e.seq));
    const rest = await (await fetch(`${server.url}api/runs/${monitor.runId}/events?limit=10000`)).json();
    expect(rest.events.map((e: GradscopeEvent) => encodeEvent(e))).toEqual(local.map((e) => encodeEvent(e)));
    expect(sub.events.map((e: GradscopeEvent) => encodeEvent(e))).toEqual(local.map((e) => encodeEvent(e)));
    const summary = await (await fetch(`${server.url}api/runs/${monitor.runId}`)).json();
    expect(summary.status).toBe('completed');
    sub.ws.close();
    await server.close();
    tf.dispose([xs, ys]);
  });

  it('the publisher survives a SIGKILLed and restarted `gradscope serve`: every event stored exactly once', async () => {
    const bin = join(createRequire(import.meta.url).resolve('@gradscope/server/package.json'), '..', 'bin', 'gradscope.js');
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const children: ChildProcess[] = [];
    const serve = () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const c = spawn(process.execPath, [bin, 'serve', '--logdir', serverLogs.dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(c);
        c.stdout!.on('data', (d: Buffer) => d.toString().includes('→') && resolve(c));
        c.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
    try {
      let child = await serve();
      const runId = 'killed-server-run';
      const publisher = new WsPublisher({
        url: `ws://127.0.0.1:${port}`,
        token: null,
        runId,
        connect: (u) => openWebSocket(u) as SocketLike,
        readBack: null,
        onLost: () => {},
        closeTimeoutMs: 15_000,
      });
      const base = exampleEvent('train-step');
      for (let seq = 0; seq < 300; seq++) {
        // Seq 0 is a run-start: the server refuses anything else there.
        publisher.write(seq === 0 ? { ...exampleEvent('run-start'), runId, seq, time: Date.now() } : { ...base, runId, seq, step: seq, time: Date.now() });
        await new Promise((r) => setTimeout(r, 2));
        if (seq === 100) {
          child.kill('SIGKILL');
          await new Promise((r) => child.once('exit', r));
        }
        if (seq === 200) child = await serve();
      }
      await publisher.close();
      expect(publisher.acknowledged).toBe(299);
      expect(publisher.lost).toBe(0);
      const seqs = readFileSync(join(serverLogs.dir, runId, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
      expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i));
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
  });

  it('with no url, the embedded server starts once per process and lists the run', async () => {
    const log = vi.spyOn(console, 'log');
    const m = model();
    const xs = tf.randomNormal([8, T, 2], 0, 1, 'float32', 5);
    const ys = tf.randomNormal([8, 1], 0, 1, 'float32', 6);
    for (let i = 0; i < 2; i++) {
      await m.fit(xs, ys, { epochs: 1, batchSize: 4, callbacks: [gradscope({ probe: { xs, ys }, logdir: logs.dir, console: false })] });
    }
    const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('gradscope dashboard → http://127.0.0.1:'));
    log.mockRestore();
    expect(lines).toHaveLength(1);
    const url = lines[0]!.split('→ ')[1]!;
    const runs = (await (await fetch(`${url}api/runs`)).json()).runs;
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r: { status: string }) => r.status === 'completed')).toBe(true);
    tf.dispose([xs, ys]);
  });
});
