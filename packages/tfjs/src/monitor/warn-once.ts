/**
 * The console warnings a monitor gives once for all its runs. A notebook
 * that calls fit() again and again with the same callback hears why the
 * worker is not used the first time, not at every fit(); a failure that
 * repeats at every measurement is one piece of news. Each run's events
 * still carry every matching alert, since a run's record must say where
 * its measurements ran and which failed.
 *
 * Messages that differ only in their numbers (a step, seconds) and their
 * parenthesised details (which snapshot, how a killed worker's pipe broke)
 * count as the same news.
 */

/** Distinct messages remembered per monitor; past it the oldest is forgotten (memory stays bounded). */
const REMEMBERED = 64;

/** The news in a message: without parenthesised details, numbers as #. */
export function gist(message: string): string {
  return message.replace(/\s*\([^()]*\)/g, '').replace(/\d+(?:\.\d+)?/g, '#');
}

export class WarnOnce {
  private readonly said = new Set<string>();

  /** Prints `gradscope: message` unless this monitor printed the same news before (see gist). */
  warn(message: string): void {
    const key = gist(message);
    if (this.said.has(key)) return;
    if (this.said.size >= REMEMBERED) this.said.delete(this.said.values().next().value as string);
    this.said.add(key);
    console.warn(`gradscope: ${message}`);
  }
}
