/**
 * Issue 11, defect 2: one small subscribe message must not take the server
 * to gigabytes. Duplicate run ids collapse, a new subscribe cancels the
 * replay it supersedes, and a subscriber has one replay in flight at a
 * time. Memory is read from outside: the `gradscope serve` child's peak RSS
 * (VmHWM) in /proc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunLogWriter } from '@gradscope/protocol/node';
import { afterEach, expect, it } from 'vitest';
import { Collector } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';
import { killChildren, memoryOf, serveChild } from './test-helpers/serve-child.js';

const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeRun(logdir: string, runId: string, n: number): void {
  const w = RunLogWriter.open(logdir, runId);
  for (const e of makeRun(runId, n)) w.append(e);
  w.close();
}

async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('a 1 MiB run named 100 times in one subscribe, then in 50 more: one replay at a time, peak RSS bounded', async () => {
  const logdir = mkdtempSync(join(tmpdir(), 'gradscope-subscribe-'));
  dirs.push(logdir);
  writeRun(logdir, 'big', 2200); // 1.07 MiB of log: below the 4 MiB downsampling threshold, so every replay is the whole run
  writeRun(logdir, 'marker', 3);
  const { child, url } = await serveChild(logdir);
  const sub = await Collector.connect(url, { runs: ['big'] });
  const replays = () => sub.messages.filter((m) => m.type === 'replay');
  await until('the first replay', () => replays().length === 1);
  expect(replays()[0]).toMatchObject({ lastSeq: 2199 });
  expect(replays()[0].events).toHaveLength(2200);
  const before = memoryOf(child.pid!);

  sub.ws.send(JSON.stringify({ type: 'subscribe', runs: Array(100).fill('big') }));
  for (let i = 0; i < 50; i++) sub.ws.send(JSON.stringify({ type: 'subscribe', runs: ['big'] }));
  sub.ws.send(JSON.stringify({ type: 'subscribe', runs: ['marker'] }));
  // Replays go out in the order their runs were queued: the marker's comes after the last replay of 'big'.
  await until('the marker replay', () => replays().some((m) => m.runId === 'marker'));
  await until('the last replay of big', () => replays().filter((m) => m.runId === 'big').length >= 2);
  expect((await (await fetch(url + 'api/health')).json()).ok).toBe(true);
  const after = memoryOf(child.pid!);
  const big = replays().filter((m) => m.runId === 'big');
  const lastBig = big.at(-1)!;
  expect(lastBig.events.map((e: any) => e.seq)).toEqual(Array.from({ length: 2200 }, (_, i) => i));
  // 151 subscribes of one run: every replay started for a superseded one is cancelled, never more than one per subscribe.
  expect(big.length).toBeLessThanOrEqual(1 + 51);
  console.log(`subscribe bounds: peak RSS ${before.peak.toFixed(0)} → ${after.peak.toFixed(0)} MiB, ${big.length - 1} replays of 'big' sent for 151 subscribes`);
  expect(after.peak - before.peak).toBeLessThan(100);
  sub.ws.close();
}, 240_000); // generous: a loaded 2-core machine
