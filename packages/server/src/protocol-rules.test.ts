/**
 * Issue 11, the smaller items: protocol rules the server enforces per run
 * (seq 0 is run-start, nothing after run-end, a reused run id does not
 * merge, simultaneous hellos), storage failures said to the publisher and
 * the log, REST pages bounded in bytes, the run list sent as changes, CSV
 * cells that a spreadsheet would run as formulas neutralised.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { RunLogWriter } from '@gradscope/protocol/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type GradscopeServer } from './index.js';
import WebSocket from 'ws';
import { closed, hello, nextMessage, open, publish, range, wsUrl } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';

let dir: string;
let server: GradscopeServer;
let logged: string[];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-rules-'));
  logged = [];
  server = await startServer({ logdir: dir, port: 0, log: (l) => logged.push(l) });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const batch = (events: GradscopeEvent[]) => `{"type":"events","events":[${events.map(encodeEvent).join(',')}]}`;
const seqsOnDisk = (runId: string) => readFileSync(join(dir, runId, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);

/** Sends one batch and resolves with the error frame and the close code that follow. */
async function refusal(ws: Awaited<ReturnType<typeof open>>, events: GradscopeEvent[]): Promise<{ code: string; message: string; close: number }> {
  const error = nextMessage(ws, (m) => m.type === 'error');
  const close = closed(ws);
  ws.send(batch(events));
  const e = await error;
  return { code: e.code, message: e.message, close: await close };
}

describe('protocol rules', () => {
  it('seq 0 must be run-start', async () => {
    const events = makeRun('no-start', 5);
    const { ws } = await hello(server.url, 'no-start');
    expect(await refusal(ws, [{ ...events[1]!, seq: 0 }])).toMatchObject({ code: 'invalid-event', message: expect.stringContaining('a run starts with run-start'), close: 4400 });
  });

  it('nothing is stored after run-end', async () => {
    const events = makeRun('ended', 10);
    await publish(server.url, 'ended', events);
    const after = { ...events[5]!, seq: 10, step: 9 } as GradscopeEvent;
    const { ws, welcome } = await hello(server.url, 'ended');
    expect(welcome.lastSeq).toBe(9);
    expect(await refusal(ws, [after])).toMatchObject({ code: 'run-ended', close: 4410 });
    // A run-end followed by more events in one batch: the run-end is stored, the rest refused.
    const { ws: ws2 } = await hello(server.url, 'ended-in-batch');
    const more = makeRun('ended-in-batch', 6);
    expect(await refusal(ws2, [...more, { ...more[2]!, seq: 6 }])).toMatchObject({ code: 'run-ended' });
    expect(seqsOnDisk('ended-in-batch')).toEqual(range(6));
    expect(seqsOnDisk('ended')).toEqual(range(10));
  });

  it('a reused run id starting again from seq 0 is refused, not merged', async () => {
    // A run recorded offline (no publisher secret yet): the first hello is welcome, but a different run-start at seq 0 is not.
    const w = RunLogWriter.open(dir, 'reused');
    for (const e of makeRun('reused', 20)) w.append(e);
    w.close();
    const { ws, welcome } = await hello(server.url, 'reused');
    expect(welcome.lastSeq).toBe(19);
    const other = makeRun('reused', 5).map((e) => ({ ...e, time: e.time + 3_600_000 }));
    expect(await refusal(ws, other)).toMatchObject({ code: 'run-exists', message: expect.stringContaining('a new run needs a new runId'), close: 4410 });
    expect(seqsOnDisk('reused')).toEqual(range(20));
    // The same events resent (a publisher catching up after a reconnect) are duplicates, as before.
    const { ws: again } = await hello(server.url, 'reused');
    const ack = nextMessage(again, (m) => m.type === 'ack');
    again.send(batch(makeRun('reused', 20).slice(0, 5)));
    expect((await ack).lastSeq).toBe(19);
    again.close();
  });

  it('simultaneous hellos for one new run: one welcome, the other told the run has a publisher', async () => {
    const sockets = await Promise.all([0, 1, 2].map(() => open(wsUrl(server.url, '/ws/publish'))));
    const answers = sockets.map((ws) => nextMessage(ws, (m) => m.type === 'welcome' || m.type === 'error'));
    for (const ws of sockets) ws.send(JSON.stringify({ type: 'hello', runId: 'race' }));
    const got = await Promise.all(answers);
    expect(got.filter((m) => m.type === 'welcome')).toHaveLength(1);
    expect(got.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['not-publisher', 'not-publisher']);
    expect(server.stats.storageErrors).toBe(0);
    for (const ws of sockets) ws.close();
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk is said: an error frame to the publisher and a server log line', async () => {
    mkdirSync(join(dir, 'full'));
    symlinkSync('/dev/full', join(dir, 'full', 'events.jsonl'));
    const { ws } = await hello(server.url, 'full');
    expect(await refusal(ws, makeRun('full', 3))).toMatchObject({ code: 'storage', message: expect.stringMatching(/ENOSPC.*nothing of this batch was acknowledged/), close: 1011 });
    expect(logged.filter((l) => l.includes('cannot append to run full'))).toHaveLength(1);
    expect(server.stats.storageErrors).toBe(1);
  });
});

describe('REST pages, the run list, CSV', () => {
  it('pages are bounded in bytes as well as count: limit=10000 on 40 kB events never builds a giant string', async () => {
    const metrics = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`metric_${i}`, i / 7]));
    const events = makeRun('wide', 250).map((e) => (e.type === 'train-step' ? { ...e, metrics } : e));
    await publish(server.url, 'wide', events, 20);
    const seqs: number[] = [];
    let since = -1;
    let pages = 0;
    for (;;) {
      const res = await fetch(server.url + `api/runs/wide/events?limit=10000&since=${since}`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text.length).toBeLessThan(8 * 1024 * 1024 + 64 * 1024);
      const page = JSON.parse(text);
      seqs.push(...page.events.map((e: any) => e.seq));
      since = page.nextSince;
      pages++;
      if (page.done) break;
    }
    expect(seqs).toEqual(range(250));
    expect(pages).toBeGreaterThan(1);
  }, 240_000); // 10 MB published and read back: generous for a loaded 2-core machine

  it('after the full list on connect, subscribers get only the runs that changed', async () => {
    for (let i = 0; i < 30; i++) {
      const w = RunLogWriter.open(dir, `old-${i}`);
      for (const e of makeRun(`old-${i}`, 3)) w.append(e);
      w.close();
    }
    await server.close();
    server = await startServer({ logdir: dir, port: 0, log: null });
    const ws = new WebSocket(wsUrl(server.url, '/ws/subscribe'));
    const kinds: string[] = [];
    ws.on('message', (d: Buffer) => kinds.push(JSON.parse(d.toString()).type));
    const first = await nextMessage(ws, (m) => m.type === 'runs');
    expect(first.runs).toHaveLength(30);
    const changed = nextMessage(ws, (m) => m.type === 'runs-changed' && m.runs.some((r: any) => r.status === 'completed'));
    await publish(server.url, 'new-run', makeRun('new-run', 50));
    const change = await changed;
    expect(change.runs.map((r: any) => r.runId)).toEqual(['new-run']);
    expect(change.runs[0]).toMatchObject({ status: 'completed', lastSeq: 49 });
    expect(kinds.filter((k) => k === 'runs')).toHaveLength(1);
    ws.close();
  });

  it('CSV cells starting with = + - @ tab or CR are not formulas; numbers stay numbers', async () => {
    const events = makeRun('csv', 5).map((e) => (e.type === 'train-step' ? { ...e, loss: -0.5, metrics: { '=HYPERLINK("http://x")': 1, '@SUM(A1)': 2, plain: 3 } } : e));
    await publish(server.url, 'csv', events);
    const csv = await (await fetch(server.url + 'api/runs/csv/export.csv')).text();
    const [header, row] = csv.split('\n');
    expect(header).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(header).toContain(`'@SUM(A1)`);
    expect(header!.split(',').every((c) => !/^[=+\-@]/.test(c) && !/^"[=+\-@]/.test(c))).toBe(true);
    expect(row!.split(',')[3]).toBe('-0.5');
  });
});
