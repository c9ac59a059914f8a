/**
 * The writer lock: a `writer.lock` file beside a run's events.jsonl saying
 * which process appends to it ({ pid, host }). The callback's logdir writer
 * (RunLogWriter) holds it for as long as it is open; a server that is sent
 * the same run over a websocket and finds a live lock on its own host knows
 * the file already has a writer and does not append a second copy of every
 * event (one writer per run file, PROTOCOL.md "Log files").
 *
 * A lock left by a killed process names a dead pid and is ignored. Liveness
 * can only be checked on the same host, so a lock written from another
 * machine (a logdir on a network share) is ignored too: there the server
 * writes, as it would without the lock.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export const WRITER_LOCK_FILE = 'writer.lock';

/** The lock file of a run, given its events.jsonl path. */
export const writerLockPath = (eventsFile: string): string => join(dirname(eventsFile), WRITER_LOCK_FILE);

/** Takes the lock for this process (overwriting a stale one). Best effort: a lock that cannot be written only loses the detection. */
export function takeWriterLock(eventsFile: string): void {
  try {
    writeFileSync(writerLockPath(eventsFile), JSON.stringify({ pid: process.pid, host: hostname() }) + '\n');
  } catch {
    // the events file itself was opened, so this is rare (a read-only lock left by someone else); detection is lost, nothing else
  }
}

/** Removes the lock if this process holds it. */
export function releaseWriterLock(eventsFile: string): void {
  const path = writerLockPath(eventsFile);
  try {
    const lock = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (lock.pid === process.pid) unlinkSync(path);
  } catch {
    // no lock, or not ours
  }
}

/** The pid of a live process on this host holding the run's lock, or null (no lock, a stale one, another host's). */
export function liveWriter(eventsFile: string): number | null {
  let lock: { pid?: unknown; host?: unknown };
  try {
    lock = JSON.parse(readFileSync(writerLockPath(eventsFile), 'utf8'));
  } catch {
    return null;
  }
  if (typeof lock.pid !== 'number' || !Number.isInteger(lock.pid) || lock.pid <= 0 || lock.host !== hostname()) return null;
  try {
    process.kill(lock.pid, 0); // signal 0: existence check only
    return lock.pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? lock.pid : null; // EPERM: alive, another user's
  }
}
