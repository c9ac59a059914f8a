/**
 * A publisher whose server is never there (a wrong url, `gradscope serve`
 * not started): the user hears so early, while there is time to start it,
 * and at the run's end hears what was lost and why — not advice that can
 * no longer help. The socket is the real `ws` client, to a loopback port
 * with nothing listening.
 */
import { exampleEvent } from '@gradscope/protocol';
import { openWebSocket } from '@gradscope/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../test-helpers/serve-child.js';
import type { SocketLike } from './publisher-socket.js';
import { WsPublisher } from './ws-publisher.js';

afterEach(() => vi.restoreAllMocks());

describe('a publisher whose server is never reached', () => {
  it('warns once early that it cannot reach it, and at the end how many events were lost and why', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const url = `ws://127.0.0.1:${await freePort()}`;
    const runId = 'unreached';
    const publisher = new WsPublisher({ url, token: null, runId, connect: (u) => openWebSocket(u) as SocketLike, readBack: null, onLost: () => {}, closeTimeoutMs: 200 });
    const at = (seq: number) => ({ runId, seq, step: seq, epoch: 0, time: Date.now() });
    publisher.write({ ...exampleEvent('run-start'), ...at(0) });
    const lines = () => warn.mock.calls.map(([m]) => String(m));
    // Three failed attempts take 0.75–1.25 s of backoff (250 ms, 500 ms, jittered), then the warning.
    const deadline = Date.now() + 10_000;
    while (!lines().some((l) => l.includes('cannot reach')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (let seq = 1; seq < 5; seq++) publisher.write({ ...exampleEvent('train-step'), ...at(seq) });
    await new Promise((r) => setTimeout(r, 1500)); // more failed attempts: no more warnings
    expect(lines()).toEqual([
      `gradscope: cannot reach a gradscope server at ${url} (start one with \`npx gradscope serve\`, or check the url); training continues, retrying in the background, and nothing else keeps the run (a page, or logdir: false): what no server has 0.2 s after the run's end is lost`,
    ]);
    await publisher.close();
    expect(lines()[1]).toBe(`gradscope: 5 events of run ${runId} were not stored by a server at ${url} (it was never reached; the run's end waited 0.2 s for it); nothing else kept them (a page, or logdir: false), so they are lost`);
    expect(lines().length).toBe(2);
    expect(publisher.lost).toBe(5);
  });

  it('with a logdir file to read back from, says the file keeps the run', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const url = `ws://127.0.0.1:${await freePort()}`;
    const publisher = new WsPublisher({ url, token: null, runId: 'kept', connect: (u) => openWebSocket(u) as SocketLike, readBack: async () => [], onLost: () => {}, closeTimeoutMs: 100 });
    publisher.write({ ...exampleEvent('run-start'), runId: 'kept', seq: 0, step: 0, epoch: 0, time: Date.now() });
    const deadline = Date.now() + 10_000;
    while (warn.mock.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await publisher.close();
    const lines = warn.mock.calls.map(([m]) => String(m));
    expect(lines[0]).toMatch(/; training continues, retrying in the background, and the logdir file keeps the run$/);
    expect(lines[1]).toMatch(/^gradscope: 1 event of run kept was not stored by a server at .* \(it was never reached; the run's end waited 0\.1 s for it\); the logdir file has them$/);
    expect(publisher.lost).toBe(0);
  });
});
