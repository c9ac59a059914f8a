import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `path` and whichever of its parents are missing, as
 * `mkdirSync(path, { recursive: true })` does, but one folder at a time.
 *
 * Why not the recursive flag: Node's recursive mkdir (v20–v22) retries a
 * parent that answers ENOENT although it exists — a folder under /proc or
 * /sys, where nothing can be created — and never returns: a logdir typed
 * as `/proc/logs` hung the callback (and the server) with a core busy in
 * mkdir calls. Here each missing folder is made once, from the top, and
 * the first refusal is thrown as it is (ENOENT, EACCES, ENOTDIR, EROFS…),
 * naming the folder that could not be made.
 */
export function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); ; ) {
    if (exists(at)) break;
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  // A file where the folder should be: mkdir says so (EEXIST), as the recursive flag does.
  if (missing.length === 0 && !statSync(path).isDirectory()) mkdirSync(path);
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (err) {
      // Made meanwhile by another writer (two runs starting at once): what was wanted.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw err;
    }
  }
}

/** Whether anything (a folder or not) is at `path`. Under a file (ENOTDIR) nothing is: the walk goes on up to the file, and the mkdir below it says ENOTDIR. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}
