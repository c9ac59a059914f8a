/**
 * Issue 11, defect 3: DNS rebinding. A page on a foreign name resolving to
 * 127.0.0.1 sends Host (and Origin) naming that site: REST and both
 * websockets refuse it, with or without a token. And a hello naming a run
 * that has a live publisher, without the run's secret, is refused while the
 * live publisher keeps going (before: it replaced it, 470 of 2,000 events
 * arrived).
 */
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from '@gradscope/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type GradscopeServer } from './index.js';
import { closed, hello, nextMessage, open, range, wsUrl } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';
import { killChildren, serveChild } from './test-helpers/serve-child.js';

let dir: string;
let server: GradscopeServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-rebinding-'));
  server = await startServer({ logdir: dir, port: 0, log: null });
});
afterEach(async () => {
  killChildren();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GET with an explicit Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DNS rebinding', () => {
  it('refuses REST and websocket upgrades whose Host is a foreign name, also when Origin equals it', async () => {
    const port = server.port;
    const evil = `rebind.example:${port}`;
    expect((await getWithHost(server.url + 'api/runs', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await getWithHost(server.url + 'api/runs', `localhost:${port}`)).status).toBe(200);
    const refused = await getWithHost(server.url + 'api/runs', evil);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('rebind.example');
    expect((await getWithHost(server.url, evil)).status).toBe(403); // the dashboard page too
    const headers = { Host: evil, Origin: `http://${evil}` };
    await expect(open(wsUrl(server.url, '/ws/subscribe'), headers)).rejects.toThrow(/403/);
    await expect(open(wsUrl(server.url, '/ws/publish'), headers)).rejects.toThrow(/403/);
    expect(server.stats.badHosts).toBe(4);

    await server.close();
    server = await startServer({ logdir: dir, port: 0, log: null, token: 's3cret', allowedHosts: ['proxy.internal'] });
    expect((await getWithHost(server.url + 'api/runs', `rebind.example:${server.port}`)).status).toBe(403);
    expect((await getWithHost(server.url + 'api/runs', `proxy.internal:${server.port}`)).status).toBe(200);
  });

  it('gradscope serve --allowed-hosts adds names to loopback, and nothing else', async () => {
    const { url } = await serveChild(join(dir, 'cli-runs'), 0, ['--allowed-hosts', 'proxy.internal, other.internal']);
    const port = new URL(url).port;
    expect((await getWithHost(url + 'api/runs', `proxy.internal:${port}`)).status).toBe(200);
    expect((await getWithHost(url + 'api/runs', `other.internal:${port}`)).status).toBe(200);
    expect((await getWithHost(url + 'api/runs', `rebind.example:${port}`)).status).toBe(403);
  });

  it('a hello without the run secret cannot take over a live run: refused, and the live publisher delivers all 2000 events', async () => {
    const events = makeRun('live-run', 2000);
    const lines = events.map(encodeEvent);
    const { ws: owner, welcome } = await hello(server.url, 'live-run');
    expect(welcome.secret).toMatch(/^[\w-]{32,}$/);
    const send = async (from: number, to: number) => {
      const ack = nextMessage(owner, (m) => m.type === 'ack' || m.type === 'error');
      owner.send(`{"type":"events","events":[${lines.slice(from, to).join(',')}]}`);
      return ack;
    };
    for (let i = 0; i < 500; i += 100) expect(await send(i, i + 100)).toMatchObject({ type: 'ack', lastSeq: i + 99 });

    const intruder = await open(wsUrl(server.url, '/ws/publish'));
    const answer = nextMessage(intruder, (m) => m.type === 'error' || m.type === 'welcome');
    intruder.send(JSON.stringify({ type: 'hello', runId: 'live-run' }));
    expect(await answer).toMatchObject({ type: 'error', code: 'not-publisher' });
    expect(await closed(intruder)).toBe(4403);
    const guess = await open(wsUrl(server.url, '/ws/publish'));
    const guessAnswer = nextMessage(guess, (m) => m.type === 'error' || m.type === 'welcome');
    guess.send(JSON.stringify({ type: 'hello', runId: 'live-run', secret: 'guessed' }));
    expect(await guessAnswer).toMatchObject({ type: 'error', code: 'not-publisher' });

    for (let i = 500; i < 2000; i += 100) expect(await send(i, i + 100)).toMatchObject({ type: 'ack', lastSeq: i + 99 });
    const stored = readFileSync(join(dir, 'live-run', 'events.jsonl'), 'utf8').trim().split('\n');
    expect(stored.map((l) => JSON.parse(l).seq)).toEqual(range(2000));
    expect(server.stats.refusedHellos).toBe(2);
    // The owner's reconnect (with its secret) is still welcome, and told where to resume.
    owner.close();
    await closed(owner);
    expect((await hello(server.url, 'live-run')).welcome).toMatchObject({ lastSeq: 1999, secret: welcome.secret });
  });

  it('wrong tokens are rate-limited per address: after 10, even the right token waits', async () => {
    await server.close();
    server = await startServer({ logdir: dir, port: 0, log: null, token: 's3cret' });
    for (let i = 0; i < 10; i++) await expect(hello(server.url, 'r', `wrong-${i}`)).rejects.toThrow(/bad-token: missing or wrong/);
    await expect(hello(server.url, 'r', 's3cret')).rejects.toThrow(/bad-token: too many wrong tokens or secrets from 127\.0\.0\.1/);
    expect(server.stats.badTokens).toBe(11);
  });
});
