// Cases 1 and 2: a Node training script in the fresh project, started as a
// user starts it; it trains, starts the embedded dashboard server, and
// Chromium opens the printed address and sees the run in every panel.
//  - ES module: the README's example, verbatim (its 6 steps end before the
//    measurement worker has started: measured on the training thread, with
//    no fallback message).
//  - CommonJS: the same program with require() of every public entry, one
//    tfjs shared with the script.
// And a longer run, measured in the worker the installed package starts.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch } from './browser.js';
import { expectEmbeddedDashboard } from './embedded-run.js';
import { run } from './project.js';
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
    // No fallback: the worker was not given up on; the run ended before it had started.
    expect(output).not.toContain('not in a worker');
    const runId = /gradscope: run '([^']+)' completed/.exec(output)![1]!;
    const events = readFileSync(join(dir, 'gradscope-runs', runId, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; step: number; measuredIn?: string });
    expect(events.filter((e) => e.type === 'measurement').map((e) => e.step)).toContain(0);
  });

  it('a run that outlasts the worker\'s start is measured in the worker: the installed package finds its worker entry, the worker its tfjs and wasm', async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/worker-run.mjs', import.meta.url)), join(dir, 'worker-run.mjs'));
    const child = run('node', ['worker-run.mjs'], dir);
    expect(await child.exited).toBe(0);
    const output = child.output();
    expect(output).not.toContain('not in a worker');
    const measured = JSON.parse(output.trim().split('\n').at(-1)!) as { step: number; measuredIn: string }[];
    expect(measured[0]).toEqual({ step: 0, measuredIn: expect.stringMatching(/^(worker|thread)$/) });
    expect(measured.map((m) => m.measuredIn)).toContain('worker');
  });

  it("CommonJS requires every entry, shares the script's tfjs, and serves the run", async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/train.cjs', import.meta.url)), join(dir, 'train.cjs'));
    const output = await expectEmbeddedDashboard(browser, dir, 'train.cjs');
    expect(output).toContain("script's tfjs backend: wasm");
    expect(output).not.toMatch(/already registered|has already been set|ExperimentalWarning/);
  });
});
