/**
 * Issue 11, defect 6: a replaced publisher connection must not write into
 * the run any more. The run's publisher reconnects (with its secret) while
 * its old connection is still open and still sending; the old connection's
 * later frames are refused, and the new one's events with the same seqs are
 * the ones stored (before: the old ones were stored and the new ones
 * dropped as duplicates).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startServer, type GradscopeServer } from './index.js';
import { hello, nextMessage, range } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';

let dir: string;
let server: GradscopeServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-replaced-'));
  server = await startServer({ logdir: dir, port: 0, log: null });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const batch = (events: GradscopeEvent[]) => `{"type":"events","events":[${events.map(encodeEvent).join(',')}]}`;

it("a replaced connection's later frames are refused and the new connection's events are stored", async () => {
  const events = makeRun('handover', 40);
  // The same seqs as the old connection would send, told apart by their loss.
  const fromOld = events.map((e) => (e.type === 'train-step' ? { ...e, loss: 111 } : e));
  const { ws: old } = await hello(server.url, 'handover');
  const ack = nextMessage(old, (m) => m.type === 'ack');
  old.send(batch(events.slice(0, 10)));
  expect((await ack).lastSeq).toBe(9);

  // The old connection stops reading (it has not seen 'replaced'), so it is still open and still sends.
  old.pause();
  const { ws: fresh, welcome } = await hello(server.url, 'handover');
  expect(welcome.lastSeq).toBe(9);
  old.send(batch(fromOld.slice(10, 20)));
  // Until the server has handled the old connection's frame (refused it, or — before — stored it).
  while (server.stats.staleFrames === 0 && server.stats.eventsStored === 10) await new Promise((r) => setTimeout(r, 10));
  const freshAck = nextMessage(fresh, (m) => m.type === 'ack');
  fresh.send(batch(events.slice(10, 40)));
  expect((await freshAck).lastSeq).toBe(39);

  const stored = readFileSync(join(dir, 'handover', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(stored.map((e) => e.seq)).toEqual(range(40));
  expect(stored.filter((e) => e.loss === 111)).toEqual([]);
  expect(server.stats.staleFrames).toBe(1);
  old.resume();
  const replaced = await nextMessage(old as WebSocket, (m) => m.type === 'error');
  expect(replaced.code).toBe('replaced');
  fresh.close();
});
