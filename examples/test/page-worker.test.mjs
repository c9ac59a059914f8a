// Measuring beside training in a page: a page built with Vite (no
// configuration for gradscope) trains in real Chromium while the monitor
// measures in a Web Worker, publishing to the real gradscope server in this
// process. The worker file must be emitted by the bundler and start; the
// measurements must say they were made in the worker and carry the steps of
// their snapshots; the monitor must not fall back to the training thread.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@gradscope/server';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from '../../dashboard/scripts/ensure-chromium.mjs';
import { serveStatic } from '../browser/serve.mjs';

let tmp;
let statics;
let browser;
let server;
beforeAll(async () => {
  ensureChromium();
  tmp = mkdtempSync(join(tmpdir(), 'gradscope-page-worker-'));
  await build({
    root: fileURLToPath(new URL('./page-worker/', import.meta.url)),
    base: './',
    logLevel: 'warn',
    build: { outDir: join(tmp, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  });
  statics = await serveStatic(join(tmp, 'dist'), 0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  server = await startServer({ logdir: join(tmp, 'runs'), port: 0, log: null });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await browser?.close();
  await new Promise((r) => (statics ? statics.close(r) : r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function events(runId) {
  let summary;
  while ((summary = await fetch(`${server.url}api/runs/${runId}`).then((r) => r.json())).status === 'live') await new Promise((r) => setTimeout(r, 50));
  const { events } = await fetch(`${server.url}api/runs/${runId}/events?since=-1&limit=10000`).then((r) => r.json());
  return { status: summary.status, events };
}

describe('a page measuring in a Web Worker', () => {
  it('the bundler emitted the worker as a file of its own', () => {
    const assets = readdirSync(join(tmp, 'dist', 'assets'));
    expect(assets.some((f) => /^browser-entry.*\.js$/.test(f))).toBe(true);
  });

  for (const backend of ['cpu', 'webgl']) {
    it(`training on ${backend}: every measurement made in the worker, at its snapshot's step, nothing left behind`, async () => {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${statics.address().port}/?backend=${backend}`);
      expect(await page.evaluate(() => window.__ready)).toBe(backend);
      const result = await page.evaluate((args) => window.__train(args), { server: server.url.replace(/^http/, 'ws'), name: `worker-${backend}`, steps: 12 });
      await page.close();
      expect(errors).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(result.leaked).toBe(0);
      const { status, events: run } = await events(result.runId);
      expect(status).toBe('completed');
      const steps = run.filter((e) => e.type === 'train-step').map((e) => e.step);
      expect(steps.length).toBe(12);
      const measured = run.filter((e) => e.type === 'measurement');
      expect(measured.length).toBeGreaterThanOrEqual(1);
      expect(measured.every((m) => m.measuredIn === 'worker' && m.layers.length === 1 && m.layers[0].kind === 'gru')).toBe(true);
      const at = measured.map((m) => m.step);
      expect(at[0]).toBe(0);
      expect(at.every((s, i) => steps.includes(s) && (i === 0 || s > at[i - 1]))).toBe(true);
      expect(run.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread')).toEqual([]);
    });
  }
});
