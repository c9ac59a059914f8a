import { now } from './clock.js';

/**
 * Lets the event loop run — socket callbacks, timers, a page's rendering —
 * and resumes as soon as it has. The monitor awaits this between the pieces
 * of a measurement and, through PeriodicYield, every YIELD_EVERY_MS of
 * training: a page whose main thread is held longer than the server's hello
 * timeout loses its connection, and a custom loop of `await trainOnBatch()`
 * only ever yields microtasks.
 *
 * Node: setImmediate. A page: a MessageChannel message, because
 * setTimeout(0) is clamped to 4 ms once nested and to 1 s in a background
 * tab.
 */
let channel: MessageChannel | null = null;
const waiting: (() => void)[] = [];

export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    return new Promise((resolve) => {
      waiting.push(resolve);
      channel!.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * How often training lets the event loop run. A custom loop of
 * `await trainOnBatch()` only ever yields microtasks, so without this a
 * websocket publisher would not even connect until training ended.
 */
export const YIELD_EVERY_MS = 50;

/**
 * Yields to the event loop when at least `everyMs` have passed since it
 * last did, so the monitor yields every few steps, not every step. One per
 * monitor: the pace carries over from one run to the next.
 */
export class PeriodicYield {
  private last = 0;

  constructor(
    private readonly everyMs = YIELD_EVERY_MS,
    private readonly clock: () => number = now,
  ) {}

  /** Whether it yielded. */
  async maybeYield(): Promise<boolean> {
    if (this.clock() - this.last < this.everyMs) return false;
    this.last = this.clock();
    await yieldToEventLoop(); // let sockets connect, send and receive acks
    return true;
  }
}
