/**
 * Issue 11, defect 4: `gradscope serve` and the callback started in one
 * folder share a logdir. The callback's logdir writer holds the run's file
 * (writer.lock); the server, sent the same run over the websocket, must not
 * append a second copy of every event, and REST and a late dashboard must
 * still reach the live seq mid-run (the events the callback has not flushed
 * yet come from the server's memory). Before: 2N lines for N events, some
 * out of order, and REST stopping short of the summary's lastSeq.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from '@gradscope/protocol';
import { RunLogWriter } from '@gradscope/protocol/node';
import { afterEach, expect, it } from 'vitest';
import { closed, Collector, hello, nextMessage, range } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';
import { killChildren, serveChild } from './test-helpers/serve-child.js';

const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('server and callback in one logdir: N events give N lines in order; REST and a late replay reach the live seq mid-run', async () => {
  const logdir = mkdtempSync(join(tmpdir(), 'gradscope-shared-'));
  dirs.push(logdir);
  const { url } = await serveChild(logdir);
  const N = 400;
  const events = makeRun('together', N);
  // The callback: its logdir writer (flushing every second, as in training) and its publisher to the server.
  const writer = RunLogWriter.open(logdir, 'together');
  const { ws: pub, welcome } = await hello(url, 'together');
  expect(welcome.lastSeq).toBe(-1);
  const publish = async (from: number, to: number) => {
    for (let i = from; i < to; i += 10) {
      const part = events.slice(i, Math.min(to, i + 10));
      for (const e of part) writer.append(e);
      const ack = nextMessage(pub, (m) => m.type === 'ack');
      pub.send(`{"type":"events","events":[${part.map(encodeEvent).join(',')}]}`);
      expect((await ack).lastSeq).toBe(part.at(-1)!.seq);
    }
  };
  await publish(0, 250);

  // Mid-run: the callback's file may lag up to a second behind; REST and a late replay still reach seq 249.
  const summary = await (await fetch(url + 'api/runs/together')).json();
  expect(summary).toMatchObject({ status: 'live', lastSeq: 249, events: 250 });
  const page = await (await fetch(url + 'api/runs/together/events?limit=10000')).json();
  expect(page.events.map((e: any) => e.seq)).toEqual(range(250));
  const late = await Collector.connect(url, { runs: ['together'] });
  const replay = await nextMessage(late.ws, (m) => m.type === 'replay');
  expect(replay.lastSeq).toBe(249);

  await publish(250, N);
  expect(await late.waitFor('together', N)).toEqual(range(N));
  writer.close();
  pub.close();
  await closed(pub);

  const lines = readFileSync(join(logdir, 'together', 'events.jsonl'), 'utf8').trim().split('\n');
  expect(lines.map((l) => JSON.parse(l).seq)).toEqual(range(N));
  const stats = await (await fetch(url + 'api/stats')).json();
  expect(stats.sharedRuns).toBe(1);
  // Once the publisher is gone the run is read from the callback's file: all N, complete.
  const end = Date.now() + 20_000;
  let after: any;
  do {
    after = await (await fetch(url + 'api/runs/together')).json();
    if (after.status !== 'live') break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < end);
  expect(after).toMatchObject({ status: 'completed', lastSeq: N - 1, events: N });
  const all = await (await fetch(url + 'api/runs/together/events?limit=10000')).json();
  expect(all.events.map((e: any) => e.seq)).toEqual(range(N));
  late.ws.close();
}, 240_000); // generous: a loaded 2-core machine
