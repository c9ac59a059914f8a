// Case 6: the page of case 4 under the user's Vite dev server (`vite`, no
// build). The server serves the measurement worker's modules unbundled, and
// with no configuration a CommonJS module of tfjs stops the worker as it
// starts: the page must not get an uncaught error, the run measures on the
// training thread and says why and what to add; with the one line the
// README gives, the worker measures.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch } from './browser.js';
import { interrupt, run, type Child } from './project.js';

const dir = inject('projectDir');

let browser: Browser;
let server: Child;
let serverUrl: string;
beforeAll(async () => {
  const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
  cpSync(join(fixtures, 'page'), join(dir, 'page'), { recursive: true });
  cpSync(join(fixtures, 'dev-page.mjs'), join(dir, 'dev-page.mjs'));
  browser = await launch();
  server = run('npx', ['gradscope', 'serve', '--logdir', 'dev-runs', '--port', '0'], dir);
  [, serverUrl] = (await server.waitFor(/gradscope dashboard → (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000)) as unknown as [string, string];
});
afterAll(async () => {
  await browser?.close();
  if (server) await interrupt(server);
});

interface Event {
  type: string;
  kind?: string;
  message?: string;
  measuredIn?: string;
  status?: string;
}

/** Trains the page once under a dev server of that variant; its page errors and the run's events. */
async function trainUnderDevServer(variant: 'plain' | 'include'): Promise<{ errors: string[]; events: Event[] }> {
  const dev = run(process.execPath, ['dev-page.mjs', '8', variant], dir);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    const [, url] = (await dev.waitFor(/dev server → (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000)) as unknown as [string, string];
    const ws = serverUrl.replace(/^http/, 'ws').replace(/\/$/, '');
    await page.goto(`${url}index.html?server=${encodeURIComponent(ws)}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => (window as unknown as { __result?: { done: boolean } }).__result?.done === true, null, { timeout: 180_000 });
    const { runId } = await page.evaluate(() => (window as unknown as { __result: { runId: string } }).__result);
    const { events } = (await fetch(`${serverUrl}api/runs/${runId}/events?since=-1&limit=10000`).then((r) => r.json())) as { events: Event[] };
    return { errors, events };
  } finally {
    await page.close();
    await interrupt(dev);
  }
}

describe('as installed: the page under Vite 8 dev server', () => {
  it('with no configuration: no uncaught error in the page; measures on the thread and says what to add', async () => {
    const { errors, events } = await trainUnderDevServer('plain');
    expect(errors).toEqual([]);
    expect(events.find((e) => e.type === 'run-end')?.status).toBe('completed');
    const fellBack = events.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread').map((e) => e.message);
    expect(fellBack).toEqual([expect.stringMatching(/module is not defined.*optimizeDeps: \{ include: \['@gradscope\/core'\] \}/)]);
    const measuredIn = events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn);
    expect(measuredIn.length).toBeGreaterThan(0);
    expect(measuredIn).toEqual(measuredIn.map(() => 'thread'));
  });

  it("with the README's optimizeDeps line: the worker measures", async () => {
    const { errors, events } = await trainUnderDevServer('include');
    expect(errors).toEqual([]);
    expect(events.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread')).toEqual([]);
    expect(events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn)).toContain('worker');
  });
});
