/**
 * The console warnings a monitor gives once for all its runs. A notebook
 * that calls fit() again and again with the same callback hears why the
 * worker is not used the first time, not at every fit(); a failure that
 * repeats at every measurement is one piece of news. Each run's events
 * still carry every matching alert, since a run's record must say where
 * its measurements ran and which failed. A message that differs in any
 * word is new (callers keep per-occurrence details, such as a snapshot's
 * step, for the alert alone).
 */

/** Distinct messages remembered per monitor; past it the oldest is forgotten (memory stays bounded). */
const REMEMBERED = 64;

export class WarnOnce {
  private readonly said = new Set<string>();

  /** Prints `gradscope: message` unless this monitor printed the same message before. */
  warn(message: string): void {
    if (this.said.has(message)) return;
    if (this.said.size >= REMEMBERED) this.said.delete(this.said.values().next().value as string);
    this.said.add(message);
    console.warn(`gradscope: ${message}`);
  }
}
