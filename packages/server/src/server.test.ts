/** The server end to end on loopback: real files, real ws clients, REST. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type GradscopeServer } from './index.js';
import { closed, Collector, nextMessage, open, publish, range, wsUrl } from './test-helpers/clients.js';
import { lines, makeRun } from './test-helpers/events.js';

let dir: string;
let server: GradscopeServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-server-'));
  server = await startServer({ logdir: dir, port: 0, log: null, dashboardDir: join(dir, 'no-dashboard') });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
const get = async (path: string) => {
  const res = await fetch(server.url + path.replace(/^\//, ''));
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text(), headers: res.headers };
};

/**
 * A publisher's raw socket that has said hello for `runId`: its welcome's
 * lastSeq, and send(from, to), which posts events.slice(from, to) and
 * resolves with the ack's lastSeq.
 */
const helloPublisher = async (runId: string, events: object[]) => {
  const ws = await open(wsUrl(server.url, '/ws/publish'));
  const welcome = nextMessage(ws, (m) => m.type === 'welcome');
  ws.send(JSON.stringify({ type: 'hello', runId }));
  const welcomeSeq: number = (await welcome).lastSeq;
  const send = async (from: number, to: number): Promise<number> => {
    const ack = nextMessage(ws, (m) => m.type === 'ack');
    ws.send(JSON.stringify({ type: 'events', events: events.slice(from, to) }));
    return (await ack).lastSeq;
  };
  return { ws, welcomeSeq, send };
};

describe('gradscope server', () => {
  it('stores, broadcasts in order and serves the same events over REST', async () => {
    const sub = await Collector.connect(server.url, { runs: '*' });
    const events = makeRun('run-a', 120);
    await publish(server.url, 'run-a', events, 7);
    expect(await sub.waitFor('run-a', 120)).toEqual(range(120));
    expect(readFileSync(join(dir, 'run-a', 'events.jsonl'), 'utf8')).toBe(lines(events).join('\n') + '\n');
    const page1 = await get('/api/runs/run-a/events?limit=100');
    const page2 = await get(`/api/runs/run-a/events?since=${page1.body.nextSince}`);
    expect([...page1.body.events, ...page2.body.events].map((e: any) => e.seq)).toEqual(range(120));
    expect(page1.body.done).toBe(false);
    expect(page2.body.done).toBe(true);
    const summary = (await get('/api/runs')).body.runs[0];
    expect(summary).toMatchObject({ runId: 'run-a', status: 'completed', lastSeq: 119, events: 120, name: 'run run-a' });
    const onlyMeasurements = await get('/api/runs/run-a/events?types=measurement');
    expect(onlyMeasurements.body.events.every((e: any) => e.type === 'measurement')).toBe(true);
    sub.ws.close();
  });

  it('says a run has ended as soon as its run-end is stored, while its publisher is still connected', async () => {
    // A page's publisher closes its socket a moment after run-end is acknowledged: the run is over by then.
    const { ws, send } = await helloPublisher('run-ending', makeRun('run-ending', 20));
    expect(await send(0, 19)).toBe(18);
    expect((await get('/api/runs/run-ending')).body.status).toBe('live');
    expect(await send(19, 20)).toBe(19); // run-end
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect((await get('/api/runs/run-ending')).body.status).toBe('completed');
    ws.close();
    await closed(ws);
    expect((await get('/api/runs/run-ending')).body.status).toBe('completed');
  });

  it('replays history then live events, nothing missing and nothing twice, from any since', async () => {
    const { ws: first, welcomeSeq, send } = await helloPublisher('run-b', makeRun('run-b', 200));
    expect(welcomeSeq).toBe(-1);
    expect(await send(0, 80)).toBe(79);
    const late = await Collector.connect(server.url, { runs: ['run-b'] });
    const resumed = await Collector.connect(server.url, { runs: ['run-b'], since: { 'run-b': 49 } });
    expect(await send(60, 140)).toBe(139); // 60..79 are duplicates: ignored
    expect(await send(140, 200)).toBe(199);
    expect(await late.waitFor('run-b', 200)).toEqual(range(200));
    expect(await resumed.waitFor('run-b', 150)).toEqual(range(150, 50));
    expect(server.stats.duplicatesIgnored).toBe(20);
    const stored = readFileSync(join(dir, 'run-b', 'events.jsonl'), 'utf8').trim().split('\n');
    expect(stored.map((l) => JSON.parse(l).seq)).toEqual(range(200));
    first.close();
    late.ws.close();
    resumed.ws.close();
  });

  it('answers a gap with an error frame and resumes from the acknowledged seq', async () => {
    const events = makeRun('run-gap', 30);
    const ws = await open(wsUrl(server.url, '/ws/publish'));
    ws.send(JSON.stringify({ type: 'hello', runId: 'run-gap' }));
    await nextMessage(ws, (m) => m.type === 'welcome');
    const error = nextMessage(ws, (m) => m.type === 'error');
    const ack = nextMessage(ws, (m) => m.type === 'ack');
    ws.send(JSON.stringify({ type: 'events', events: [...events.slice(0, 10), ...events.slice(15, 20)] }));
    expect(await error).toMatchObject({ code: 'gap' });
    expect((await ack).lastSeq).toBe(9);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('downsamples long replays but keeps run-start, run-end, alerts and the latest event', async () => {
    await server.close();
    server = await startServer({ logdir: dir, port: 0, log: null, replayFullBytes: 64 * 1024 });
    const events = makeRun('run-long', 3000);
    await publish(server.url, 'run-long', events, 500);
    const sub = await Collector.connect(server.url, { runs: ['run-long'] });
    const replay = await nextMessage(sub.ws, (m) => m.type === 'replay');
    expect(replay.downsampled).toBe(true);
    expect(replay.lastSeq).toBe(2999);
    const seqs = replay.events.map((e: any) => e.seq);
    expect(seqs.length).toBeLessThan(3000);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b));
    expect(seqs[0]).toBe(0);
    expect(seqs.at(-1)).toBe(2999);
    sub.ws.close();
  });

  it('lists runs recorded without any server, marking one without run-end incomplete', async () => {
    await server.close();
    const { RunLogWriter } = await import('@gradscope/protocol/node');
    const w = RunLogWriter.open(dir, 'offline', { flushIntervalMs: 0 });
    for (const e of makeRun('offline', 25, false)) w.append(e);
    w.close();
    server = await startServer({ logdir: dir, port: 0, log: null });
    const runs = (await get('/api/runs')).body.runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runId: 'offline', status: 'incomplete', lastSeq: 24 });
    const csv = (await get('/api/runs/offline/export.csv')).body as string;
    expect(csv.split('\n')[0]).toContain('step,epoch,time,loss');
    const json = (await get('/api/runs/offline/export.json'));
    expect(json.headers.get('content-disposition')).toContain('attachment');
    expect(json.body).toHaveLength(25);
  });

  it('says how to build the dashboard when it is not built, and 404s unknown runs as JSON', async () => {
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('npm run build');
    expect(await get('/api/health')).toMatchObject({ status: 200, body: { ok: true, version: '0.1.0', protocol: 1 } });
    expect((await get('/api/runs/nope')).status).toBe(404);
    expect((await get('/api/runs/..%2F..%2Fetc')).body.error).toContain('invalid run id');
    expect((await get('/api/runs/x/events?limit=abc')).status).toBe(404);
  });

  it('checks the publisher token and the Origin of websocket upgrades', async () => {
    await server.close();
    server = await startServer({ logdir: dir, port: 0, log: null, token: 's3cret' });
    const ws = await open(wsUrl(server.url, '/ws/publish'));
    const err = nextMessage(ws, (m) => m.type === 'error');
    ws.send(JSON.stringify({ type: 'hello', runId: 'r', token: 'wrong' }));
    expect(await err).toMatchObject({ code: 'bad-token' });
    expect(await closed(ws)).toBe(1008);
    await publish(server.url, 'r', makeRun('r', 3), 3, 's3cret');
    await expect(open(wsUrl(server.url, '/ws/subscribe'), { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const local = await open(wsUrl(server.url, '/ws/subscribe'), { Origin: 'http://localhost:5173' });
    local.close();
    expect(server.stats.badOrigins).toBe(1);
    expect(server.stats.badTokens).toBe(1);
  });

  it('refuses a non-loopback host without a token, and an unwritable logdir, clearly', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, logdir: dir, log: null })).rejects.toThrow(/without a token/);
    const file = join(dir, 'a-file');
    (await import('node:fs')).writeFileSync(file, 'x');
    await expect(startServer({ logdir: join(file, 'runs'), port: 0, log: null })).rejects.toThrow(/cannot write to logdir/);
  });
});
