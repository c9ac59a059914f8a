// Cases 1 and 2: a Node training script in the fresh project, started as a
// user starts it; it trains, starts the embedded dashboard server, and
// Chromium opens the printed address and sees the run in every panel.
//  - ES module: the README's example, verbatim; its measurements are made in
//    the measurement worker.
//  - CommonJS: the same program with require() of every public entry, one
//    tfjs shared with the script.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('as installed: a training script in Node', () => {
  it('the README example (ESM) trains, serves the installed dashboard, and every panel draws the run', async () => {
    const [example] = readmeBlocks('Add it to your project', 'ts');
    expect(example).toContain("from 'gradscope'");
    writeFileSync(join(dir, 'train.mjs'), example!);
    const output = await expectEmbeddedDashboard(browser, dir, 'train.mjs');
    expect(output).toContain("gradscope: tfjs backend 'wasm' (fastest available)");
    // Measured beside training: the installed package found its worker entry, and the worker its tfjs and wasm.
    expect(output).not.toContain('not in a worker');
    const runId = /gradscope: run '([^']+)' completed/.exec(output)![1]!;
    const events = readFileSync(join(dir, 'gradscope-runs', runId, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; measuredIn?: string });
    expect(events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn)).toContain('worker');
  });

  it("CommonJS requires every entry, shares the script's tfjs, and serves the run", async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/train.cjs', import.meta.url)), join(dir, 'train.cjs'));
    const output = await expectEmbeddedDashboard(browser, dir, 'train.cjs');
    expect(output).toContain("script's tfjs backend: wasm");
    expect(output).not.toMatch(/already registered|has already been set|ExperimentalWarning/);
  });
});
