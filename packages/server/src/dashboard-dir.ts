import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The built dashboard: the `dist` folder of the installed
 * @gradscope/dashboard package, found through module resolution from this
 * file, so it is the same in this repository (a workspace link) and in a
 * user's node_modules. `gradscope serve --dashboard DIR` overrides it.
 */
export function defaultDashboardDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@gradscope/dashboard/package.json')), 'dist');
  } catch {
    // Not installed: static.ts then serves a page that says so.
    return join(dirname(createRequire(import.meta.url).resolve('@gradscope/server/package.json')), 'no-dashboard-installed');
  }
}
