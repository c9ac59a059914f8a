import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { colouredPixels, showRun } from './browser.js';
import { interrupt, run } from './project.js';

/**
 * Runs a training script in the project that starts the embedded dashboard
 * and keeps it up (serveForever), opens the printed address in Chromium,
 * checks that the installed dashboard shows the finished run in every
 * panel, then stops the script with Ctrl-C. Returns the script's output.
 */
export async function expectEmbeddedDashboard(browser: Browser, dir: string, script: string): Promise<string> {
  const training = run(process.execPath, [script], dir);
  try {
    const [, url] = await training.waitFor(/gradscope dashboard → (http:\/\/127\.0\.0\.1:\d+\/)/);
    const [, runId] = await training.waitFor(/gradscope: run '([^']+)' completed/);
    await training.waitFor(/until Ctrl-C/);
    const home = await fetch(url!).then((r) => r.text());
    expect(home, 'the server should find the installed @gradscope/dashboard').not.toContain('No dashboard here');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await showRun(page, url!, runId!);
      const pixels = await colouredPixels(page);
      expect(Object.keys(pixels).length).toBeGreaterThanOrEqual(9); // loss, gradnorm, alerts + 6 for the layer
      for (const [id, n] of Object.entries(pixels)) if (id !== 'alerts') expect(n, `panel ${id} drew nothing`).toBeGreaterThan(50);
    } finally {
      await page.close();
    }
  } finally {
    expect(await interrupt(training), training.output()).toBe(0);
  }
  return training.output();
}
