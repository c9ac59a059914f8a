import type { Page } from 'playwright-core';

/**
 * Per dashboard panel (`[data-panel]`): the number of strongly coloured
 * pixels over all its canvases. Axes and text are grey, so they do not
 * count: a panel that drew no data scores 0. Shared with the as-installed
 * tests, which check the installed dashboard the same way.
 */
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
