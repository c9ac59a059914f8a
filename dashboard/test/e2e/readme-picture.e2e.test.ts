/**
 * The README's picture, docs/dashboard.png: the main demo (`npm start`,
 * examples/adding-problem) trained in full, then shown as a user opens it —
 * the GRU run with the SimpleRNN run compared. It trains both runs (about
 * 85 s of CPU), so it only runs when asked:
 *   GRADSCOPE_UPDATE_SCREENSHOT=1 npx vitest run test/e2e/readme-picture.e2e.test.ts
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/ensure-chromium.mjs';
import { startServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const README_PICTURE = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));

function trainDemo(logdir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join('examples', 'adding-problem', 'train.mjs'), '--no-serve', '--logdir', logdir], { cwd: ROOT, maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`the demo failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}

describe.runIf(process.env['GRADSCOPE_UPDATE_SCREENSHOT'])('README picture', () => {
  it('is the main demo: the GRU with the SimpleRNN compared, and their diagnoses', async () => {
    const logdir = mkdtempSync(join(tmpdir(), 'gradscope-demo-'));
    try {
      await trainDemo(logdir);
      const runs = readdirSync(logdir);
      const gru = runs.find((r) => r.endsWith('-gru'))!;
      const rnn = runs.find((r) => r.endsWith('-simplernn'))!;
      expect(gru && rnn, `runs in ${logdir}: ${runs.join(', ')}`).toBeTruthy();
      const server = await startServer(DIST, logdir);
      const browser = await chromium.launch({ executablePath: CHROMIUM as string, args: CHROMIUM_ARGS as string[] });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(server.url);
        await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'open');
        await page.evaluate(
          ({ gru, rnn }) => {
            const app = (window as unknown as { __gradscope: { select(id: string): void; setCompare(id: string | null): void } }).__gradscope;
            app.select(gru);
            app.setCompare(rnn);
          },
          { gru, rnn },
        );
        await page.waitForFunction(() => (document.querySelector('[data-diagnosis] .horizon')?.textContent ?? '').includes('feels'), null, { timeout: 30_000 });
        await page.waitForTimeout(500); // the compared run's history arrives after the primary's
        // What the picture must show: the GRU stable and feeling the whole sequence.
        const text = await page.locator('[data-diagnosis]').first().innerText();
        expect(text).toContain('stable');
        expect(text).toMatch(/the loss at T feels the last 60 of 60 steps/);
        await page.screenshot({ path: README_PICTURE, fullPage: true });
      } finally {
        await browser.close();
        await server.close();
      }
    } finally {
      rmSync(logdir, { recursive: true, force: true });
    }
  }, 1_800_000);
});
