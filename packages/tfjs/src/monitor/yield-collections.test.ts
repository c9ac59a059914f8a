import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { watchGcPauses } from '../platform/node/gc-pauses.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';
import { YieldCollections, type PauseReport } from './yield-collections.js';

/** A platform whose pauses the test reports by hand. */
function scripted(): { ledger: YieldCollections; pause: PauseReport; stopped: () => boolean } {
  let report: PauseReport = () => {};
  let stopped = false;
  const ledger = new YieldCollections((r) => {
    report = r;
    return () => (stopped = true);
  });
  return { ledger, pause: (start, duration) => report(start, duration), stopped: () => stopped };
}

describe('YieldCollections: collection pauses inside the periodic yields, refunded', () => {
  it('refunds the part of each pause inside a yield, reported late, once', () => {
    const { ledger, pause } = scripted();
    ledger.yielded(100, 110);
    ledger.yielded(200, 204);
    pause(102, 3); // inside the first yield: 3
    pause(108, 5); // 2 inside, 3 after it (the hook's own work, or training): 2
    pause(150, 10); // between yields: 0
    pause(199, 2); // 1 inside the second
    expect(ledger.take()).toBeCloseTo(6, 12);
    expect(ledger.take()).toBe(0); // taken once
    pause(203, 1); // reported after the take, still a yield's: refunded at the next one
    expect(ledger.take()).toBeCloseTo(1, 12);
  });

  it('ignores empty or non-finite pauses, forgets the oldest yields past its window, and stops watching on close', () => {
    const { ledger, pause, stopped } = scripted();
    for (let i = 0; i < 40; i++) ledger.yielded(i * 100, i * 100 + 10);
    pause(5, 2); // in the first yield, which is forgotten (40 > 32 kept)
    pause(3905, 0);
    pause(3905, Number.NaN);
    expect(ledger.take()).toBe(0);
    pause(3905, 2); // in the last one
    expect(ledger.take()).toBeCloseTo(2, 12);
    ledger.close();
    expect(stopped()).toBe(true);
  });

  it('stops watching once it is dropped unclosed (a run never ended): the watch does not keep it, nor its run, alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let report: PauseReport = () => {};
    let stopped = false;
    let ref: WeakRef<YieldCollections> | null = null;
    (() => {
      const ledger = new YieldCollections((r) => {
        report = r;
        return () => (stopped = true);
      });
      ledger.yielded(0, 10);
      ref = new WeakRef(ledger);
    })();
    for (let i = 0; i < 10 && ref!.deref(); i++) {
      await yieldToEventLoop(); // a WeakRef's target is kept until the end of the current job
      gc();
    }
    expect(ref!.deref()).toBeUndefined();
    expect(stopped).toBe(false);
    report(5, 1); // the next collection reported
    expect(stopped).toBe(true);
  });

  it('without a platform report (a page), refunds nothing', () => {
    const ledger = new YieldCollections(null);
    ledger.yielded(0, 1e9);
    expect(ledger.take()).toBe(0);
    ledger.close();
  });

  it("reads Node's own pauses: garbage made inside a window is collected there and refunded after a turn of the event loop", async () => {
    const ledger = new YieldCollections(watchGcPauses);
    try {
      // ~200 MB of short-lived objects: well past any young generation, so scavenges run inside the window.
      const start = performance.now();
      let keep = 0;
      for (let i = 0; i < 2_000_000; i++) keep += new Array(8).fill(i).length;
      const end = performance.now();
      expect(keep).toBe(16_000_000);
      ledger.yielded(start, end);
      // Node reports a pause on a later turn of the event loop.
      let refunded = 0;
      for (let turn = 0; turn < 20 && refunded === 0; turn++) {
        await yieldToEventLoop();
        refunded += ledger.take();
      }
      expect(refunded).toBeGreaterThan(0);
      expect(refunded).toBeLessThanOrEqual(end - start);
    } finally {
      ledger.close();
    }
  });
});
