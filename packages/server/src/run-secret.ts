/**
 * The per-run publisher secret (PROTOCOL.md "Publishers"): issued at a run's
 * first hello, returned in `welcome.secret`, required in every later hello
 * of the run. It is what lets the server tell the run's own publisher
 * reconnecting (replace the dead connection) from anyone else naming the
 * same run id (refuse, and the live publisher keeps going).
 *
 * It is kept in the run folder (`publisher.secret`, mode 0600), not only in
 * memory: a server restarted over the same logdir still checks it, so the
 * window between a restart and the publisher's reconnect is no chance for
 * someone else to claim the run, and a finished run cannot be reopened by a
 * stranger. Runs without the file (recorded offline, or by an older server)
 * get one at their first hello.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SECRET_FILE = 'publisher.secret';
/** 24 random bytes: 192 bits, base64url. */
const SECRET_BYTES = 24;

const secretPath = (eventsFile: string) => join(dirname(eventsFile), SECRET_FILE);

/** The run's stored secret, or null when it has none yet. */
export function readRunSecret(eventsFile: string): string | null {
  try {
    const s = readFileSync(secretPath(eventsFile), 'utf8').trim();
    return s.length > 0 ? s : null;
  } catch {
    return null;
  }
}

/** Creates and stores a new secret for the run (the run folder must exist). Throws the I/O error. */
export function issueRunSecret(eventsFile: string): string {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  writeFileSync(secretPath(eventsFile), secret + '\n', { mode: 0o600 });
  return secret;
}
