import { describe, expect, it } from 'vitest';
import { PeriodicYield } from './yield-to-event-loop.js';

/** Whether awaiting `wait` let a macrotask queued before it run (a microtask-only await does not), and what it said. */
async function letsEventLoopRun(wait: () => Promise<boolean>): Promise<{ ran: boolean; said: boolean }> {
  let ran = false;
  setImmediate(() => (ran = true));
  const said = await wait();
  return { ran, said };
}

describe('PeriodicYield', () => {
  it('yields to the event loop at most once per interval of its clock, and says when it did', async () => {
    let clock = 1000;
    const pace = new PeriodicYield(50, () => clock);
    const yielded = { ran: true, said: true };
    const stayed = { ran: false, said: false };
    expect(await letsEventLoopRun(() => pace.maybeYield())).toEqual(yielded); // first call: long past the start
    clock += 49;
    expect(await letsEventLoopRun(() => pace.maybeYield())).toEqual(stayed);
    clock += 1;
    expect(await letsEventLoopRun(() => pace.maybeYield())).toEqual(yielded);
    expect(await letsEventLoopRun(() => pace.maybeYield())).toEqual(stayed); // same instant
  });
});
