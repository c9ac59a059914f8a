// The server finds the dashboard as an installed package (module
// resolution), never by a path into the repository.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultDashboardDir } from './dashboard-dir.js';
import { startServer, type GradscopeServer } from './server.js';

let server: GradscopeServer | null = null;
const logdir = mkdtempSync(join(tmpdir(), 'gradscope-dashdir-'));
afterAll(async () => {
  await server?.close();
  rmSync(logdir, { recursive: true, force: true });
});

describe('the default dashboard', () => {
  it('is the dist folder of the @gradscope/dashboard package that resolves from here', () => {
    const pkg = createRequire(import.meta.url).resolve('@gradscope/dashboard/package.json');
    expect(defaultDashboardDir()).toBe(join(dirname(pkg), 'dist'));
  });

  it('is what / serves when no --dashboard is given', async () => {
    const index = join(defaultDashboardDir(), 'index.html');
    expect(existsSync(index), 'the dashboard package is built before the server tests').toBe(true);
    server = await startServer({ logdir, port: 0, log: null });
    const home = await fetch(server.url).then((r) => r.text());
    expect(home).toBe(readFileSync(index, 'utf8'));
  });
});
