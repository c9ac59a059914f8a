/** Debian's Chromium through playwright-core, with the flags the other browser tests use. */
import { chromium, type Browser, type Page } from 'playwright-core';
export { colouredPixels } from '../../dashboard/test/helpers/pixels.js';
// @ts-expect-error plain .mjs script shared with the dashboard's browser tests
import { CHROMIUM, CHROMIUM_ARGS } from '../../dashboard/scripts/ensure-chromium.mjs';

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM as string, args: CHROMIUM_ARGS as string[] });
}

/** Opens the dashboard at `url` and waits until run `runId` is shown with its run-end. */
export async function showRun(page: Page, url: string, runId: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(
    (id) => {
      const app = (window as unknown as { __gradscope?: { primary: string | null; stores: Map<string, { end: unknown }> } }).__gradscope;
      return app?.primary === id && app.stores.get(id)?.end != null;
    },
    runId,
    { timeout: 60_000 },
  );
  await page.waitForTimeout(500); // one more animation frame or two after the last batch
}
