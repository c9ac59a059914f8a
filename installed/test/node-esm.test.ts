// Case 1: the README's example, verbatim, as a Node ES module in the fresh
// project: it trains, starts the embedded dashboard server, and Chromium
// opens the printed address and sees the run in every panel.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch } from './browser.js';
import { expectEmbeddedDashboard } from './embedded-run.js';
import { readmeBlocks } from './readme.js';

const dir = inject('projectDir');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('as installed: the README example in Node (ESM)', () => {
  it('trains, serves the installed dashboard, and every panel draws the run', async () => {
    const [example] = readmeBlocks('Add it to your project', 'ts');
    expect(example).toContain("from 'gradscope'");
    writeFileSync(join(dir, 'train.mjs'), example!);
    const output = await expectEmbeddedDashboard(browser, dir, 'train.mjs');
    expect(output).toContain("gradscope: tfjs backend 'wasm' (fastest available)");
  });
});
