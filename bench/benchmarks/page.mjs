import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../../dashboard/scripts/ensure-chromium.mjs';
import { serveDirectory } from '../lib/static-server.mjs';
import { median } from '../lib/stats.mjs';

/**
 * Benchmark 8 (issue 14): the longest main-thread task the monitor adds to a
 * page that trains. The page (bench/page, built with Vite as any page that
 * imports @gradscope/tfjs) runs in Debian's Chromium — on tfjs's cpu
 * backend by default, on software WebGL (SwiftShader) with
 * GRADSCOPE_BENCH_PAGE_BACKEND=webgl — and trains the same seeded model by
 * model.fit, with a callback that yields to the page after every batch: plain, with
 * `gradscope({ every: 1, worker: false })` (the training thread measures),
 * and with the measurement worker when the build has one. No url: nothing
 * leaves the page.
 *
 * Each variant runs once on a fresh page first (cold: WebGL compiles its
 * shader programs — training's in the plain run, the measurement's in the
 * first monitored one; on cpu, V8's first compilations), then `rounds` more
 * times in alternating order (warm).
 * Per run the page reports its longest long task (PerformanceObserver
 * 'longtask': tasks over 50 ms), the longest gap between ticks of a
 * setTimeout heartbeat, and the longest long task that began inside one of
 * the monitor's callbacks (its own piece).
 *
 * Not in --smoke (what npm test runs): it needs a Vite build of tfjs
 * (20–40 s on 2 shared cores) before the first run.
 */
export const FULL = {
  configs: [['lstm', 32, 30], ['simpleRNN', 32, 30]], batches: 12, batch: 32, every: 1, rounds: 2,
  // tfjs's pure-JS backend by default: on software WebGL (GRADSCOPE_BENCH_PAGE_BACKEND=webgl) a warm
  // 12-step plain LSTM run took 40 s on 2 busy cores (5 s on cpu), and its first run 51 s.
  backend: process.env.GRADSCOPE_BENCH_PAGE_BACKEND ?? 'cpu',
};
export const SMOKE = { skip: 'skipped in --smoke: the page needs a Vite build of tfjs first (run `node bench/run.mjs --only 8`)' };

const here = path.dirname(fileURLToPath(import.meta.url));
// The repository's browser-test flags, with WebGL on SwiftShader instead of no GPU at all.
const ARGS = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

async function buildPage(outDir) {
  const { build } = await import('vite');
  await build({
    root: path.join(here, '../page'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  });
}

/** Why the page benchmark cannot run here, or null. */
async function unavailable() {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (set GRADSCOPE_CHROMIUM, or install Debian's chromium)`;
  for (const name of ['playwright-core', 'vite']) {
    try {
      await import(name);
    } catch {
      return `${name} is not installed (npm ci at the repository root installs it)`;
    }
  }
  return null;
}

const ms = (x) => `${Math.round(x)}`;
const na = (v, reason) => (v ? null : `n/a (${reason})`);

export async function pageBenchmark(o, log) {
  const title = '8. In a page: the longest main-thread task the monitor adds';
  const why = o.skip ?? (await unavailable());
  if (why) {
    log(`  n/a: ${why}`);
    return { title, markdown: `n/a: ${why}.`, summaryRows: [['8', 'longest main-thread task in a page, monitored / plain', `n/a (${why})`, '—']] };
  }
  const { chromium } = await import('playwright-core');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-page-'));
  let server = null;
  let browser = null;
  try {
    log('  building the page with Vite…');
    await buildPage(path.join(tmp, 'dist'));
    server = await serveDirectory(path.join(tmp, 'dist'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const rows = [];
    for (const [cell, units, steps] of o.configs) {
      // A fresh page per model: its first runs compile that model's WebGL programs.
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.address().port}/?backend=${o.backend}`, { waitUntil: 'commit' });
      // 'commit': the module script may still be loading; wait for it to set __ready.
      await page.waitForFunction(() => window.__ready, null, { timeout: 120_000 });
      const backend = await page.evaluate(() => window.__ready);
      const run = async (variant) => {
        const r = await page.evaluate((args) => window.__trainOnce(args), { cell, units, steps, batches: o.batches, batch: o.batch, every: o.every, variant });
        log(`    ${cell} ${variant}: ${ms(r.ms)} ms, longest task ${ms(r.longestTask)} ms, ${r.measurements} measurements`);
        return r;
      };
      const first = await run('plain');
      const variants = first.worker.supported ? ['plain', 'thread', 'worker'] : ['plain', 'thread'];
      const cold = { plain: first };
      for (const v of variants.slice(1)) cold[v] = await run(v);
      const warm = Object.fromEntries(variants.map((v) => [v, []]));
      for (let r = 0; r < o.rounds; r++) for (const v of r % 2 === 0 ? variants : [...variants].reverse()) warm[v].push(await run(v));
      if (errors.length) throw new Error(`bench 8: the page failed: ${errors.join('; ')}`);
      const tensors = [...Object.values(cold), ...Object.values(warm).flat()].map((x) => x.numTensors);
      const row = { cell, units, steps, backend, worker: first.worker, cold, warm, tensors };
      rows.push(row);
      for (const v of variants) {
        const w = warm[v];
        log(`  ${cell} n=${units} T=${steps} (${backend}), ${v}: cold run longest task ${ms(cold[v].longestTask)} ms (monitor's ${ms(cold[v].monitorLongest)}); warm runs longest task ${ms(median(w.map((x) => x.longestTask)))} ms (monitor's ${ms(median(w.map((x) => x.monitorLongest)))}), heartbeat gap ${ms(median(w.map((x) => x.longestGap)))} ms, ${median(w.map((x) => x.measurements))} measurements, run ${ms(median(w.map((x) => x.ms)))} ms`);
      }
      await page.close();
    }
    return report(title, o, rows);
  } finally {
    await browser?.close();
    if (server) await new Promise((r) => server.close(r));
    rmSync(tmp, { recursive: true, force: true });
  }
}

function report(title, o, rows) {
  const reason = rows[0]?.worker.reason;
  const line = (r, v) => {
    const c = r.cold[v];
    const w = r.warm[v];
    const none = na(c, reason);
    if (none) return `| ${r.cell} n=${r.units} T=${r.steps} | ${v} | ${none} | | | | | | |`;
    const longest = w.map((x) => x.longestTask);
    const plain = median(r.warm.plain.map((x) => x.ms));
    return `| ${r.cell} n=${r.units} T=${r.steps} | ${v} | ${ms(c.longestTask)} | ${ms(c.monitorLongest)} | ${ms(median(longest))} (${ms(Math.min(...longest))}–${ms(Math.max(...longest))}) | ${ms(median(w.map((x) => x.monitorLongest)))} | ${ms(median(w.map((x) => x.longestGap)))} | ${median(w.map((x) => x.measurements))} | ${(median(w.map((x) => x.ms)) / plain).toFixed(2)} |`;
  };
  const leak = rows.some((r) => new Set(r.tensors).size > 1);
  const markdown = [
    `Chromium (headless; WebGL, when asked for, on SwiftShader: software), the page of bench/page built with Vite; tfjs backend ${[...new Set(rows.map((r) => r.backend))].join(', ')}. ` +
      `Each model trains ${o.batches} steps of model.fit (batch ${o.batch}) per run, with a callback that yields to the page after every batch (as a page that stays responsive does; fit yields only through such callbacks): plain, with \`gradscope({ every: ${o.every}, worker: false })\` (the training thread measures), and with the measurement worker${reason ? ` — n/a: ${reason}; the thread rows then run without the option` : ''}. No url, so nothing leaves the page. ` +
      `Cold: each variant's first run on a fresh page, with the page's one-time costs (V8 compiling tfjs's code; on WebGL, compiling the shader programs — training's in the plain run, the measurement's in the first monitored one). Warm: ${o.rounds} more runs each, in alternating order; median (min–max).`,
    '',
    '- **longest task**: the longest main-thread task of the run (PerformanceObserver \'longtask\', which sees tasks over 50 ms; 0: none over 50 ms). What the monitor adds is the monitored row against the plain one.',
    '- **monitor\'s piece**: the longest long task that began inside one of the monitor\'s callbacks (onBatchEnd, where it measures; attributed by time).',
    '- **heartbeat gap**: the longest wait of a setTimeout(0) loop that ran beside training — how long the page\'s own work could be held up.',
    '- **run / plain**: warm run wall time over the plain run\'s.',
    '',
    '| model | variant | longest task, cold (ms) | monitor\'s piece, cold (ms) | longest task, warm (ms) | monitor\'s piece, warm (ms) | heartbeat gap, warm (ms) | measurements per run | run / plain |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.flatMap((r) => ['plain', 'thread', 'worker'].map((v) => line(r, v))),
    '',
    `tf.memory().numTensors after each run: ${leak ? `**changed** (${rows.map((r) => r.tensors.join(' → ')).join('; ')})` : `unchanged (${rows.map((r) => r.tensors[0]).join(', ')})`}.`,
  ].join('\n');
  const summaryOf = (v) => rows.map((r) => (r.warm[v] ? `${r.cell} ${ms(median(r.warm[v].map((x) => x.longestTask)))}` : null)).filter(Boolean).join(', ');
  const has = rows[0]?.worker.supported ? 'worker' : 'thread';
  const summaryRows = [['8', `longest main-thread task in a page (warm, ms), ${has === 'worker' ? 'with the worker' : 'training thread'} / plain`, `${summaryOf(has)} / ${summaryOf('plain')}${has === 'worker' ? `; worker: false ${summaryOf('thread')}` : ` (worker n/a: ${reason})`}`, '—']];
  return { title, markdown, summaryRows };
}
