/**
 * Lets the event loop run — socket callbacks, timers, a page's rendering —
 * and resumes as soon as it has. The monitor awaits this between the pieces
 * of a measurement and every YIELD_EVERY_MS of training: a page whose main
 * thread is held longer than the server's hello timeout loses its
 * connection, and a custom loop of `await trainOnBatch()` only ever yields
 * microtasks.
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
