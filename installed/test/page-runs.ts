/**
 * What the page tests share: Chromium, `gradscope serve` on a free port for
 * the pages to publish to, and one training run of a page, read back from
 * that server.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { launch } from './browser.js';
import { interrupt, run, type Child } from './project.js';

/** An event as the pages' tests read it back from the server. */
export interface PageEvent {
  seq: number;
  type: string;
  kind?: string;
  message?: string;
  measuredIn?: string;
  status?: string;
  totals?: { steps: number; monitorShare?: number };
}

/** One training run of a page: its page errors, what it left in window.__result, and the run's events. */
export interface PageRun<R> {
  errors: string[];
  result: R & { runId: string };
  events: PageEvent[];
}

/**
 * Before the file's tests: copies `fixtures` (names under installed/fixtures) into the project, launches
 * Chromium and starts `gradscope serve` (logdir `logdir`); after them, stops both.
 */
export function pagesPublishing(logdir: string, fixtures: string[]): { train<R>(url: string): Promise<PageRun<R>> } {
  const dir = inject('projectDir');
  let browser: Browser;
  let server: Child;
  let serverUrl: string;
  beforeAll(async () => {
    const from = fileURLToPath(new URL('../fixtures/', import.meta.url));
    for (const name of fixtures) cpSync(join(from, name), join(dir, name), { recursive: true });
    browser = await launch();
    server = run('npx', ['gradscope', 'serve', '--logdir', logdir, '--port', '0'], dir);
    [, serverUrl] = (await server.waitFor(/gradscope dashboard → (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000)) as unknown as [string, string];
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await interrupt(server);
  });
  return {
    /** Opens `url` (its page trains in its module script and sets window.__result.done) with ?server= the server. */
    async train<R>(url: string): Promise<PageRun<R>> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        const ws = serverUrl.replace(/^http/, 'ws').replace(/\/$/, '');
        // 'commit': the page trains inside its module script, which holds back the load event.
        await page.goto(`${url}${url.includes('?') ? '&' : '?'}server=${encodeURIComponent(ws)}`, { waitUntil: 'commit' });
        await page.waitForFunction(() => (window as unknown as { __result?: { done: boolean } }).__result?.done === true, null, { timeout: 180_000 });
        const result = await page.evaluate(() => (window as unknown as { __result: R & { runId: string } }).__result);
        const { events } = (await fetch(`${serverUrl}api/runs/${result.runId}/events?since=-1&limit=10000`).then((r) => r.json())) as { events: PageEvent[] };
        return { errors, result, events };
      } finally {
        await page.close();
      }
    },
  };
}
