/**
 * Issue 11, defect 5: a slow but alive subscriber under sustained ingest.
 * The subscriber reads 0.3 s out of every 2 s while a publisher floods; the
 * events waiting for it are bounded (drop to resync, never grow) and the
 * server's peak RSS, read from outside in /proc, stays bounded. Once it
 * reads again it catches up: seqs strictly increasing up to the last one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from '@gradscope/protocol';
import { afterEach, expect, it } from 'vitest';
import { Collector, hello, nextMessage } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';
import { killChildren, memoryOf, serveChild } from './test-helpers/serve-child.js';

const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('a subscriber reading 0.3 s every 2 s beside a flooding publisher: peak RSS bounded, then it catches up', async () => {
  const logdir = mkdtempSync(join(tmpdir(), 'gradscope-slow-'));
  dirs.push(logdir);
  const { child, url } = await serveChild(logdir);
  const TOTAL = 60_000;
  const events = makeRun('flood', TOTAL, false);
  const lines = events.map(encodeEvent);
  const { ws: pub } = await hello(url, 'flood');
  const sub = await Collector.connect(url, { runs: '*' });
  await nextMessage(sub.ws, (m) => m.type === 'runs');
  const before = memoryOf(child.pid!);

  // The slow reader: its socket is paused 1.7 s, then read for 0.3 s, over and over (TCP backs up, the server's bufferedAmount grows).
  let reading = true;
  const slow = (async () => {
    while (reading) {
      sub.ws.pause();
      await new Promise((r) => setTimeout(r, 1700));
      sub.ws.resume();
      await new Promise((r) => setTimeout(r, 300));
    }
  })();

  // The flood: batches of 500 (about 240 kB) as fast as the server acknowledges them, 4 in flight.
  let peak = before.peak;
  for (let i = 0; i < TOTAL; i += 2000) {
    const acked = nextMessage(pub, (m) => m.type === 'ack' && m.lastSeq === Math.min(TOTAL, i + 2000) - 1, 60_000);
    for (let j = i; j < Math.min(TOTAL, i + 2000); j += 500) pub.send(`{"type":"events","events":[${lines.slice(j, j + 500).join(',')}]}`);
    await acked;
    peak = Math.max(peak, memoryOf(child.pid!).peak);
  }
  reading = false;
  await slow;
  sub.ws.resume();
  await sub.waitFor('flood', 1, 60_000);
  const end = Date.now() + 120_000;
  while ((sub.seqs.get('flood')?.at(-1) ?? -1) < TOTAL - 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const seqs = sub.seqs.get('flood')!;
  const after = memoryOf(child.pid!);
  const stats = await (await fetch(url + 'api/stats')).json();
  console.log(
    `slow subscriber: peak RSS ${before.peak.toFixed(0)} → ${after.peak.toFixed(0)} MiB while ${TOTAL} events (${(lines.join('').length / 2 ** 20).toFixed(0)} MiB) were ingested; ` +
      `${stats.resyncs} resyncs, ${stats.replays} replays; the subscriber got ${seqs.length} events`,
  );
  const bad = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!);
  if (bad >= 0) console.log('DEBUG', bad, seqs.slice(bad - 3, bad + 3), JSON.stringify(sub.messages.map((m) => m.type === 'runs' || m.type === 'runs-changed' ? m.type : `${m.type}:${m.events?.[0]?.seq}-${m.events?.at(-1)?.seq}:${m.lastSeq ?? ''}:${m.downsampled ?? ''}`)));
  expect(seqs.at(-1)).toBe(TOTAL - 1);
  expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
  expect(stats.eventsStored).toBe(TOTAL);
  expect(after.peak - before.peak).toBeLessThan(150);
  pub.close();
  sub.ws.close();
});
