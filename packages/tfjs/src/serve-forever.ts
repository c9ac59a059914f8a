import { platform } from './platform/platform.js';

/**
 * Keeps this process alive serving the embedded dashboard until
 * SIGINT/SIGTERM (the server is otherwise unref'd so that a finished
 * script exits), then closes it. Resolves at once when no embedded server
 * was started, and in a page, which has none.
 */
export function serveForever(): Promise<void> {
  return platform().serveForever();
}
