// Case 2: the same program as a CommonJS script: require() of every public
// entry, one tfjs shared with the script, the embedded dashboard in Chromium.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch } from './browser.js';
import { expectEmbeddedDashboard } from './embedded-run.js';

const dir = inject('projectDir');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('as installed: CommonJS', () => {
  it('requires every entry, shares the script\'s tfjs, and serves the run', async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/train.cjs', import.meta.url)), join(dir, 'train.cjs'));
    const output = await expectEmbeddedDashboard(browser, dir, 'train.cjs');
    expect(output).toContain("script's tfjs backend: wasm");
    expect(output).not.toMatch(/already registered|has already been set|ExperimentalWarning/);
  });
});
