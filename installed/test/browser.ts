/** Debian's Chromium through playwright-core, with the flags the other browser tests use. */
import { chromium, type Browser, type Page } from 'playwright-core';
// @ts-expect-error plain .mjs script shared with the dashboard's browser tests
import { CHROMIUM, CHROMIUM_ARGS } from '../../dashboard/scripts/ensure-chromium.mjs';

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM as string, args: CHROMIUM_ARGS as string[] });
}

/** Per dashboard panel: strongly coloured pixels over its canvases (axes and text are grey and do not count). */
export function colouredPixels(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const panel of document.querySelectorAll<HTMLElement>('[data-panel]')) {
      let n = 0;
      for (const c of panel.querySelectorAll('canvas')) {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 40) n++;
      }
      out[panel.dataset.panel!] = n;
    }
    return out;
  });
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
