/**
 * Run ids name folders: `<logdir>/<runId>/events.jsonl`. A server joins a run
 * id received from the network to its logdir, so a valid id must be a single,
 * harmless path segment on every OS: a whitelist of characters (no separator,
 * no NUL, no colon for Windows drive letters or NTFS streams), no leading dot
 * (no '.', '..' or hidden folders), no trailing dot (Windows strips it), no
 * Windows device name (CON, NUL, COM1, …), and a bounded length.
 */
import { ProtocolError } from './errors.js';

export const MAX_RUN_ID_LENGTH = 128;

const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Why `id` is not a valid run id, or null when it is. */
export function runIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') return 'a run id must be a string';
  if (id.length === 0) return 'a run id must not be empty';
  if (id.length > MAX_RUN_ID_LENGTH) return `a run id has at most ${MAX_RUN_ID_LENGTH} characters, this one ${id.length}`;
  if (id.startsWith('.')) return "a run id must not start with '.'";
  if (!ALLOWED.test(id)) return 'a run id may only contain letters A-Z a-z, digits, and . _ - (not first)';
  if (id.endsWith('.')) return "a run id must not end with '.'";
  if (WINDOWS_DEVICE.test(id)) return `"${id}" is a reserved device name on Windows`;
  return null;
}

export function isValidRunId(id: unknown): id is string {
  return runIdProblem(id) === null;
}

/** Throws a ProtocolError (path 'runId') unless `id` is a valid run id. */
export function assertValidRunId(id: unknown): asserts id is string {
  const problem = runIdProblem(id);
  if (problem !== null) throw new ProtocolError('runId', `${problem} (got ${JSON.stringify(String(id)).slice(0, 60)})`);
}

const SLUG_LENGTH = 64;

/** Lowercase ASCII slug of a free-text run name: 'LSTM (clip=1)' → 'lstm-clip-1'. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining accents split off by NFKD: é → e
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, SLUG_LENGTH)
    .replace(/^[-._]+|[-._]+$/g, '');
  return slug.length > 0 ? slug : 'run';
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * A run id that sorts by start time: `20250301-142233-017-lstm-clip-1` for a
 * run named 'LSTM clip 1' started at 14:22:33.017 UTC. Millisecond resolution
 * keeps two runs started by one script apart; a caller that still finds the
 * folder taken should append a suffix ('-2').
 */
export function makeRunId(name: string, date: Date = new Date()): string {
  if (Number.isNaN(date.getTime())) throw new ProtocolError('date', 'makeRunId needs a valid Date');
  const stamp =
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `-${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}` +
    `-${pad(date.getUTCMilliseconds(), 3)}`;
  return `${stamp}-${slugify(name)}`;
}
