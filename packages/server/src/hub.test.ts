/**
 * The hub on its own: a real run store on real files, and connection links
 * that record what the hub asks of them (the hub knows publishers and
 * subscribers only through PublisherLink and SubscriberLink).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_CODES, encodeEvent, type ServerErrorCode } from '@gradscope/protocol';
import { RunLogWriter } from '@gradscope/protocol/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HelloRefused, Hub, type PublisherLink, type SubscriberLink } from './hub.js';
import { resolveServerOptions } from './options.js';
import { RunStore } from './run-store.js';
import { newStats } from './stats.js';
import { makeRun } from './test-helpers/events.js';

class RecordedPublisher implements PublisherLink {
  readonly failures: { code: ServerErrorCode; closeCode: number }[] = [];
  fail(code: ServerErrorCode, _message: string, closeCode: number): void {
    this.failures.push({ code, closeCode });
  }
}

class RecordedSubscriber implements SubscriberLink {
  readonly offered: number[] = [];
  readonly changed: string[][] = [];
  offer(_runId: string, lines: { seq: number }[]): void {
    this.offered.push(...lines.map((l) => l.seq));
  }
  runsChanged(summaries: ReadonlyMap<string, string>): void {
    this.changed.push([...summaries.keys()]);
  }
  flush(): void {}
}

let dir: string;
let hub: Hub;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-hub-'));
  hub = new Hub(await RunStore.open(dir), resolveServerOptions({ logdir: dir, log: null }), newStats());
});
afterEach(() => {
  hub.close();
  rmSync(dir, { recursive: true, force: true });
});

const stored = (runId: string, from: number, to: number) => makeRun(runId, 50).slice(from, to).map((event) => ({ event, line: encodeEvent(event) }));

describe('Hub', () => {
  it("issues a run's secret at the first hello; with it a reconnect replaces the connection, without it the hello is refused", async () => {
    const first = new RecordedPublisher();
    const { lastSeq, secret } = await hub.attachPublisher('r', first, undefined);
    expect(lastSeq).toBe(-1);
    expect(readFileSync(join(dir, 'r', 'publisher.secret'), 'utf8').trim()).toBe(secret);
    const stranger = new RecordedPublisher();
    await expect(hub.attachPublisher('r', stranger, undefined)).rejects.toMatchObject({ code: 'not-publisher', closeCode: CLOSE_CODES.notPublisher });
    await expect(hub.attachPublisher('r', stranger, 'wrong')).rejects.toBeInstanceOf(HelloRefused);
    expect(hub.isCurrent('r', first)).toBe(true);
    const again = new RecordedPublisher();
    expect((await hub.attachPublisher('r', again, secret)).secret).toBe(secret);
    expect(first.failures).toEqual([{ code: 'replaced', closeCode: CLOSE_CODES.replaced }]);
    expect(hub.isCurrent('r', first)).toBe(false);
    expect(hub.isCurrent('r', again)).toBe(true);
  });

  it('lets a run with no event and no publisher be claimed again: its first welcome may have been lost', async () => {
    const lost = new RecordedPublisher();
    const { secret } = await hub.attachPublisher('empty', lost, undefined);
    hub.detachPublisher('empty', lost); // the connection died before its welcome arrived
    const retry = await hub.attachPublisher('empty', new RecordedPublisher(), undefined);
    expect(retry.secret).not.toBe(secret);
  });

  it('answers simultaneous hellos of a new run one after the other', async () => {
    const results = await Promise.allSettled([0, 1, 2].map(() => hub.attachPublisher('race', new RecordedPublisher(), undefined)));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['not-publisher', 'not-publisher']);
  });

  it("appends the current publisher's events, broadcasts nothing itself, and refuses a replaced publisher's", async () => {
    const sub = new RecordedSubscriber();
    hub.addSubscriber(sub);
    const pub = new RecordedPublisher();
    const { secret } = await hub.attachPublisher('a', pub, undefined);
    expect(hub.append('a', pub, stored('a', 0, 10)).map((l) => l.seq)).toEqual([...Array(10).keys()]);
    expect(readFileSync(join(dir, 'a', 'events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(10);
    expect(sub.offered).toEqual([]); // the publisher broadcasts after its ack
    await hub.attachPublisher('a', new RecordedPublisher(), secret);
    expect(() => hub.append('a', pub, stored('a', 10, 20))).toThrow(/no longer publishes run a/);
  });

  it("does not append when the callback's logdir writer holds the run file: events stay readable from memory", async () => {
    const writer = RunLogWriter.open(dir, 'shared', { flushIntervalMs: 60_000 }); // flushes only on close
    const pub = new RecordedPublisher();
    await hub.attachPublisher('shared', pub, undefined);
    const events = stored('shared', 0, 20);
    hub.append('shared', pub, events);
    expect(readFileSync(join(dir, 'shared', 'events.jsonl'), 'utf8')).toBe('');
    const run = hub.store.get('shared')!;
    const read: number[] = [];
    for await (const s of hub.store.readEvents(run, -1)) read.push(s.event.seq);
    expect(read).toEqual([...Array(20).keys()]);
    for (const e of events) writer.append(e.event);
    writer.close();
    expect(readFileSync(join(dir, 'shared', 'events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20);
    expect(hub.stats.sharedRuns).toBe(1);
  });

  it('tells subscribers which runs changed, batched', async () => {
    const sub = new RecordedSubscriber();
    hub.addSubscriber(sub);
    const pub = new RecordedPublisher();
    await hub.attachPublisher('changing', pub, undefined);
    hub.append('changing', pub, stored('changing', 0, 5));
    hub.append('changing', pub, stored('changing', 5, 10));
    while (sub.changed.length === 0) await new Promise((r) => setTimeout(r, 20));
    expect(sub.changed[0]).toEqual(['changing']);
    hub.removeSubscriber(sub);
  });
});
