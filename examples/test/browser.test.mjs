import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from '../../dashboard/scripts/ensure-chromium.mjs';
import { startBrowserExample } from '../browser/serve.mjs';

// The browser example as a user runs it (`node examples/browser/serve.mjs`),
// in Debian's chromium (on tfjs's cpu backend): tfjs trains in the page and the callback publishes
// through the browser's own WebSocket to the real gradscope server.
let example;
let browser;
let logdir;
beforeAll(async () => {
  ensureChromium();
  logdir = mkdtempSync(join(tmpdir(), 'gradscope-browser-'));
  example = await startBrowserExample({ logdir, port: 0, steps: 20, epochs: 2 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await example?.close();
  if (logdir) rmSync(logdir, { recursive: true, force: true });
});

describe('examples/browser', () => {
  it('trains in the page and streams both runs to gradscope serve', async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // 'commit': the page trains inside its module script, which holds back the load event (past goto's 30 s on a busy machine).
    // The cpu backend: this is about the example's delivery to the server; software WebGL would triple the time.
    await page.goto(`${example.pageUrl}&backend=cpu`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__gradscopeExample?.done, null, { timeout: 120_000 });
    expect(errors).toEqual([]);
    expect(await page.textContent('#log')).toContain('tfjs backend: cpu');
    const { runs } = await fetch(`${example.dashboardUrl}api/runs`).then((r) => r.json());
    const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['browser-gru', 'browser-simpleRNN']);
    for (const run of runs) {
      expect(run.status).toBe('completed');
      const { events } = await fetch(`${example.dashboardUrl}api/runs/${run.runId}/events?since=-1&limit=10000`).then((r) => r.json());
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events.filter((e) => e.type === 'train-step').length).toBe(8); // 2 epochs × 4 batches
      expect(events.some((e) => e.type === 'measurement')).toBe(true);
      if (run.name === 'browser-simpleRNN') {
        // T = 20 keeps the test quick; over that horizon the regime may still
        // read stable, but perturbations already shrink: λ₁ < 0.
        const last = events.filter((e) => e.type === 'measurement').at(-1).layers[0];
        expect(last.ftle.mean[0]).toBeLessThan(0);
      }
    }
    await page.close();
  }, 150_000);
});
