import { describe, expect, it } from 'vitest';
import { PeriodicYield } from './yield-to-event-loop.js';

/** Whether awaiting `wait` let a macrotask queued before it run (a microtask-only await does not). */
async function letsEventLoopRun(wait: () => Promise<void>): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await wait();
  return ran;
}

describe('PeriodicYield', () => {
  it('yields to the event loop at most once per interval of its clock', async () => {
    let clock = 1000;
    const pace = new PeriodicYield(50, () => clock);
    expect(await letsEventLoopRun(() => pace.maybeYield())).toBe(true); // first call: long past the start
    clock += 49;
    expect(await letsEventLoopRun(() => pace.maybeYield())).toBe(false);
    clock += 1;
    expect(await letsEventLoopRun(() => pace.maybeYield())).toBe(true);
    expect(await letsEventLoopRun(() => pace.maybeYield())).toBe(false); // same instant
  });
});
