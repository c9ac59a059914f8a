import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `path` and whichever of its parents are missing, as
 * `mkdirSync(path, { recursive: true })` does, but one folder at a time.
 *
 * Why not the recursive flag: Node 20's recursive mkdir retries a parent
 * that answers ENOENT although it exists — under /proc, where nothing can
 * be created — and never returns: a logdir typed as `/proc/logs` hung the
 * callback (and the server) with a core busy in mkdir calls. Here each
 * missing folder is made once, from the top, and the first refusal is
 * thrown as it is (ENOENT, EACCES, ENOTDIR, EROFS…), naming the folder
 * that could not be made.
 *
 * The path is walked as given, not resolved first: `link/../x` goes where
 * the file system takes it (beside the link's target), as mkdir's does.
 */
export function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let at = path; ; ) {
    if (seen(at)) break;
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

/**
 * Whether stat sees anything (a folder or not) at `path`. What it cannot
 * see — missing (ENOENT), under a file (ENOTDIR), behind a folder it may
 * not enter (EACCES) — counts as missing: the walk goes on up, and the
 * mkdir of the first folder that cannot be made says why.
 */
function seen(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
