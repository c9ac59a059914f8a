// Case 4: a page that imports @gradscope/tfjs, built by the user's Vite (the
// oldest major we support and the newest) with no configuration for
// gradscope: no warning about Node modules, no server code in the output;
// in Chromium it keeps WebGL and publishes a complete run to gradscope serve,
// and on WebGL the monitor's share of training is its own time only.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { pagesPublishing } from './page-runs.js';
import { run } from './project.js';
import { serveDir } from './static-server.js';

const dir = inject('projectDir');
/** Strings only Node-side gradscope code (server, logdir, ws) contains. */
const SERVER_MARKERS = ['WebSocketServer', 'x-powered-by', 'node:fs', 'events.jsonl', 'RunLogWriter', 'gradscope-runs', '@gradscope/server', '@tensorflow/tfjs-backend-wasm'];

/** The one Vite whose build the WebGL timing page is built and opened with. */
const DEVICE_TIME_ON = '8';
const pages = pagesPublishing('page-runs', ['page', 'build-page.mjs']);

interface BuildSummary {
  warnings: string[];
  files: { file: string; bytes: number }[];
  outDir: string;
  /** The device-time page, built apart (only where its test runs). */
  deviceOutDir: string | null;
}

describe.each(['6', '8'])('as installed: a page built with Vite %s', (major) => {
  let build: BuildSummary;
  it('builds without Node-module warnings or server code', async () => {
    const child = run(process.execPath, ['build-page.mjs', major, ...(DEVICE_TIME_ON === major ? ['--device-time'] : [])], dir);
    expect(await child.exited, child.output()).toBe(0);
    build = JSON.parse(child.output().trim().split('\n').at(-1)!) as BuildSummary;
    // Vite 8's bundler notes how long plugins ran when a build is slow (a busy machine): timing, not a problem of the page.
    expect(build.warnings.filter((w) => !w.startsWith('[PLUGIN_TIMINGS]'))).toEqual([]);
    const js = build.files.filter((f) => f.file.endsWith('.js'));
    for (const { file } of js) {
      const text = readFileSync(file, 'utf8');
      for (const marker of SERVER_MARKERS) expect(text.includes(marker), `${marker} in ${file}`).toBe(false);
    }
    // What gradscope adds to a page: the chunk only the gradscope page uses
    // (tfjs itself is in the chunk both pages share).
    const main = js.find((f) => /\/main-[^/]*\.js$/.test(f.file))!;
    const gz = gzipSync(readFileSync(main.file)).length;
    console.log(`[installed] Vite ${major}: gradscope adds ${(main.bytes / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(1)} KiB gzip to a page`);
  });

  it('keeps the page backend and publishes a complete run', async () => {
    const site = await serveDir(build.outDir);
    try {
      const { errors, result, events } = await pages.train<{ backend: string; webgl: boolean }>(`${site.url}index.html`);
      expect(errors).toEqual([]);
      // useBestBackend() ran before tf.ready(): it must leave WebGL in place.
      expect(result.backend).toBe(result.webgl ? 'webgl' : 'cpu');
      expect(events.find((e) => e.type === 'run-end')?.status).toBe('completed');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events.filter((e) => e.type === 'train-step').length).toBe(8); // 2 epochs × 4 batches
      expect(events.filter((e) => e.type === 'measurement').length).toBeGreaterThan(0);
      // Measured beside training: the bundler emitted the measurement worker and it started.
      expect(events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn)).toEqual(expect.arrayContaining(['worker']));
      expect(events.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread')).toEqual([]);
    } finally {
      await site.close();
    }
  });

  // Once (Vite 8's build): a page run of 24 steps on WebGL.
  it.runIf(major === DEVICE_TIME_ON)("on WebGL, does not count the wait for training's GPU work as the monitor's time", async () => {
    const site = await serveDir(build.deviceOutDir!);
    try {
      const { errors, result, events } = await pages.train<{ backend: string }>(`${site.url}device-time.html`);
      expect(errors).toEqual([]);
      expect(result.backend).toBe('webgl'); // Chromium's software WebGL, with the flags every browser test uses
      const totals = events.find((e) => e.type === 'run-end')!.totals!;
      expect(totals.steps).toBe(24);
      console.log(`[installed] WebGL page, no gradient norms: the monitor's share of training ${totals.monitorShare}`);
      // The monitor's own work per step here is its hooks and one event (no gradient norms, no measurement past the
      // first, which is not counted); reading fit()'s loss inside its clock made it 1.23 of training.
      expect(totals.monitorShare).toBeLessThan(0.15);
    } finally {
      await site.close();
    }
  });
});
