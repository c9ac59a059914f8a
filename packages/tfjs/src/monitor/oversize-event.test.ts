/**
 * Issue 11, defect 7: one event over the server's 16 MiB frame limit must
 * not wedge the publisher. Against the real server (default limits): an
 * event that alone exceeds the limit is skipped with the gap extension,
 * reported naming its seq and size and counted lost once; an event just
 * under the limit still goes through; run-end is delivered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleEvent, type GradscopeEvent } from '@gradscope/protocol';
import { openWebSocket, startServer } from '@gradscope/server';
import { afterAll, describe, expect, it } from 'vitest';
import { tempLogdir } from '../test-helpers/runs.js';
import { settledSummary } from '../test-helpers/serve-child.js';
import type { SocketLike } from './publisher-socket.js';
import { WsPublisher, type Loss } from './ws-publisher.js';

const MiB = 1024 * 1024;

describe('an event larger than a server frame', () => {
  const serverLogs = tempLogdir();
  afterAll(() => serverLogs.remove());

  it('is skipped and reported; the events around it and run-end are stored, status completed', async () => {
    const server = await startServer({ logdir: serverLogs.dir, port: 0, log: null });
    const runId = 'oversize-event-run';
    const losses: Loss[] = [];
    const publisher = new WsPublisher({
      url: server.url.replace(/^http/, 'ws'),
      token: null,
      runId,
      connect: (u) => openWebSocket(u) as SocketLike,
      readBack: null,
      onLost: (loss) => losses.push(loss),
      closeTimeoutMs: 60_000,
    });
    const envelope = (seq: number) => ({ runId, seq, step: seq, epoch: 0, time: Date.now() });
    const alert = (seq: number, bytes: number): GradscopeEvent => ({ ...exampleEvent('alert'), ...envelope(seq), message: 'x'.repeat(bytes) });
    const events: GradscopeEvent[] = [
      { ...exampleEvent('run-start'), ...envelope(0) },
      { ...exampleEvent('train-step'), ...envelope(1) },
      alert(2, 15 * MiB), // under the limit: must arrive
      alert(3, 17 * MiB), // over it on its own: skipped
      { ...exampleEvent('train-step'), ...envelope(4) },
      { ...exampleEvent('run-end'), ...envelope(5) },
    ];
    for (const e of events) publisher.write(e);
    await publisher.close();

    expect(publisher.lost).toBe(1);
    expect(losses).toHaveLength(1);
    expect(losses[0]!.count).toBe(1);
    expect(losses[0]!.message).toMatch(/seq 3 is 17\.0 MiB, more than the 16\.0 MiB/);
    const stored = readFileSync(join(serverLogs.dir, runId, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(stored).toEqual([0, 1, 2, 4, 5]);
    const summary = await settledSummary(server.url, runId);
    expect(summary.status).toBe('completed');
    const stats = await (await fetch(`${server.url}api/stats`)).json();
    expect(stats.oversizeFrames ?? 0).toBe(0); // nothing the server had to cut off
    expect(stats.gapsAccepted).toBe(1);
    await server.close();
  });
});
