/**
 * Issue 11, defect 1: a server that comes back without the run. The real
 * callback trains and publishes to a real `gradscope serve` child process;
 * at batch 10 the server is SIGKILLed, at batch 20 another one starts on the
 * same port with an EMPTY logdir (what `npx gradscope serve` started from
 * another folder does). The new server must end up with the whole run,
 * status completed, each event once, identical to the callback's own logdir.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeEvent, exampleEvent } from '@gradscope/protocol';
import { openWebSocket } from '@gradscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../test-helpers/backend.js';
import { readRuns, tempLogdir } from '../test-helpers/runs.js';
import { freePort, ServeChild, settledSummary } from '../test-helpers/serve-child.js';
import { gradscope } from './monitor.js';
import type { SocketLike } from './publisher-socket.js';
import { WsPublisher } from './ws-publisher.js';

const T = 6;

beforeAll(async () => {
  await useTestBackend();
});

describe('publisher against a server restarted with an empty logdir', () => {
  const callbackLogs = tempLogdir();
  const firstServerLogs = tempLogdir();
  const emptyServerLogs = tempLogdir();
  const secondEmptyLogs = tempLogdir();
  let serve: ServeChild | null = null;
  afterAll(() => {
    serve?.killAll();
    for (const d of [callbackLogs, firstServerLogs, emptyServerLogs, secondEmptyLogs]) d.remove();
  });

  it('resends the whole run from the logdir file: every event stored once, status completed', async () => {
    serve = new ServeChild(await freePort());
    await serve.start(firstServerLogs.dir);
    const m = tf.sequential();
    m.add(tf.layers.simpleRNN({ units: 4, inputShape: [T, 2] }));
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([40, T, 2], 0, 1, 'float32', 7);
    const ys = tf.randomNormal([40, 1], 0, 1, 'float32', 8);
    const monitor = gradscope({ probe: { xs: xs.slice(0, 4), ys: ys.slice(0, 4) }, url: serve.url, logdir: callbackLogs.dir, console: false, every: 5 });
    const faults = new tf.CustomCallback({
      onBatchEnd: async (batch, _logs) => {
        const step = batch + 10 * (epoch ?? 0);
        if (step === 10) await serve!.kill();
        if (step === 20) await serve!.start(emptyServerLogs.dir);
      },
      onEpochBegin: async (e) => {
        epoch = e;
      },
    });
    let epoch: number | undefined;
    const started = Date.now();
    await m.fit(xs, ys, { epochs: 4, batchSize: 4, callbacks: [monitor, faults] });
    const closedAfterMs = Date.now() - started;
    const local = [...readRuns(callbackLogs.dir).values()][0]!;
    expect(local.at(-1)!.type).toBe('run-end');
    const stored = readFileSync(join(emptyServerLogs.dir, monitor.runId!, 'events.jsonl'), 'utf8').trim().split('\n');
    // Every event, in order, once, byte for byte what the callback wrote.
    expect(stored).toEqual(local.map((e) => encodeEvent(e)));
    const summary = await settledSummary(serve.url, monitor.runId!);
    expect(summary.status).toBe('completed');
    // Resending from the server's lastSeq leaves nothing for the server to refuse (before: thousands of gap refusals, no backoff).
    const stats = await (await fetch(`${serve.url.replace(/^ws/, 'http')}/api/stats`)).json();
    expect(stats.gapsRejected).toBe(0);
    console.log(`server-restart: ${stored.length}/${local.length} events stored by the restarted server, fit + close took ${closedAfterMs} ms`);
    tf.dispose([xs, ys]);
  });

  it('without a logdir (as in a page) resends the whole run from memory', async () => {
    const memoryServe = new ServeChild(await freePort());
    try {
      await memoryServe.start(firstServerLogs.dir);
      const runId = 'memory-only-restart';
      const publisher = new WsPublisher({
        url: memoryServe.url,
        token: null,
        runId,
        connect: (u) => openWebSocket(u) as SocketLike,
        readBack: null,
        onLost: () => {},
        closeTimeoutMs: 30_000,
      });
      const at = (seq: number) => ({ runId, seq, step: seq, epoch: 0, time: Date.now() });
      publisher.write({ ...exampleEvent('run-start'), ...at(0) });
      for (let seq = 1; seq < 200; seq++) {
        publisher.write({ ...exampleEvent('train-step'), ...at(seq) });
        await new Promise((r) => setTimeout(r, 2));
        if (seq === 80) await memoryServe.kill();
        if (seq === 120) await memoryServe.start(secondEmptyLogs.dir);
      }
      publisher.write({ ...exampleEvent('run-end'), ...at(200) });
      await publisher.close();
      expect(publisher.lost).toBe(0);
      const seqs = readFileSync(join(secondEmptyLogs.dir, runId, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
      expect(seqs).toEqual(Array.from({ length: 201 }, (_, i) => i));
      const summary = await settledSummary(memoryServe.url, runId);
      expect(summary.status).toBe('completed');
    } finally {
      memoryServe.killAll();
    }
  });
});
