/**
 * Load: 20 concurrent publishers and 20 subscribers for a bounded time
 * (3 s of publishing), loss-free: every subscriber receives every event of
 * every run exactly once and in order, and the files hold them all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '@gradscope/protocol';
import { startServer, type GradscopeServer } from './index.js';
import { Collector, nextMessage, open, range, wsUrl } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';

const PUBLISHERS = 20;
const SUBSCRIBERS = 20;
const PUBLISH_MS = 3000;

let dir: string;
let server: GradscopeServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-load-'));
  server = await startServer({ logdir: dir, port: 0, log: null });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('load', () => {
  it(`${PUBLISHERS} publishers and ${SUBSCRIBERS} subscribers, loss-free`, async () => {
    const subs = await Promise.all(range(SUBSCRIBERS).map(() => Collector.connect(server.url, { runs: '*' })));
    const pool = makeRun('pool', 5000, false);
    const counts = await Promise.all(
      range(PUBLISHERS).map(async (p) => {
        const runId = `load-${p}`;
        const ws = await open(wsUrl(server.url, '/ws/publish'));
        ws.send(JSON.stringify({ type: 'hello', runId }));
        await nextMessage(ws, (m) => m.type === 'welcome');
        const end = Date.now() + PUBLISH_MS;
        let seq = 0;
        // Batches of 20 events, awaiting each ack (like the callback's window of one).
        while (Date.now() < end && seq + 20 <= pool.length) {
          const batch = pool.slice(seq, seq + 20).map((e) => encodeEvent({ ...e, runId }));
          const ack = nextMessage(ws, (m) => m.type === 'ack');
          ws.send(`{"type":"events","events":[${batch.join(',')}]}`);
          expect((await ack).lastSeq).toBe(seq + 19);
          seq += 20;
        }
        ws.close();
        return seq;
      }),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(PUBLISHERS * 20);
    for (const sub of subs) {
      for (let p = 0; p < PUBLISHERS; p++) expect(await sub.waitFor(`load-${p}`, counts[p]!, 20_000)).toEqual(range(counts[p]!));
      sub.ws.close();
    }
    for (let p = 0; p < PUBLISHERS; p++) {
      const seqs = readFileSync(join(dir, `load-${p}`, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
      expect(seqs).toEqual(range(counts[p]!));
    }
    console.log(`load: ${total} events from ${PUBLISHERS} publishers in ${PUBLISH_MS} ms, each delivered to ${SUBSCRIBERS} subscribers`);
  });
});
