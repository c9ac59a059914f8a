/**
 * Comparison, axes and smoothing in a real browser (Debian's chromium via
 * playwright-core) against the real server: two real tfjs runs compared on
 * every panel; the case of a compared λ₁ far outside the shown run's
 * range (injected, so the numbers are exactly the issue's); the smoothing
 * slider. Kept apart from dashboard.e2e.test.ts so either can move alone.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/ensure-chromium.mjs';
import { encodeEvent, type GradscopeEvent, type LayerMeasurement } from '@gradscope/protocol';
import { startServer, type RunningServer } from '../helpers/server.js';
import { syntheticRun } from '../helpers/synthetic-run.js';
import { trainShortRun } from '../helpers/train.js';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const OUT = fileURLToPath(new URL('../../test-output', import.meta.url));

let server: RunningServer;
let browser: Browser;
let logdir: string;

type AppHandle = { primary: string | null; runs: { runId: string; name: string; status: string }[]; stores: Map<string, { end: unknown; measurements: unknown[] }>; select(id: string): void; setCompare(id: string | null): void; injectEncoded(id: string, lines: string[]): void };

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  logdir = mkdtempSync(join(tmpdir(), 'gradscope-compare-e2e-'));
  server = await startServer(DIST, logdir);
  browser = await chromium.launch({ executablePath: CHROMIUM as string, args: CHROMIUM_ARGS as string[] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (logdir) rmSync(logdir, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await p.goto(server.url);
  await p.waitForFunction(() => document.getElementById('status')?.dataset.state === 'open');
  return p;
}

/** Two animation frames: one renders what changed, the next is painted. */
const frames = (p: Page) => p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

interface ChartPixels {
  panel: string;
  /** Strongly coloured pixels with only the shown run's series on, only the compared run's, and none (clip ticks etc.). */
  shown: number;
  compared: number;
  none: number;
  comparedSeries: number;
}

/**
 * For every line chart: hides series through the legend (a user's click on
 * each legend row) so that only the shown run's, then only the compared run's,
 * then none are drawn, and counts strongly coloured canvas pixels each time
 * (axes, grid, text and the cursor are grey and do not count). Restores the legend after.
 */
async function chartPixels(p: Page): Promise<ChartPixels[]> {
  const out: ChartPixels[] = [];
  const n = await p.evaluate(() => document.querySelectorAll('[data-panel] .chart').length);
  for (let c = 0; c < n; c++) {
    const set = (which: 'shown' | 'compared' | 'none' | 'all') =>
      p.evaluate(
        ({ c, which }) => {
          const chart = document.querySelectorAll<HTMLElement>('[data-panel] .chart')[c]!;
          const rows = [...chart.querySelectorAll<HTMLElement>('.u-legend .u-series')].slice(1);
          for (const row of rows) {
            const isCompared = (row.querySelector('.u-label')?.textContent ?? '').includes(' · ');
            const want = which === 'all' || (which === 'shown' && !isCompared) || (which === 'compared' && isCompared);
            if (row.classList.contains('u-off') === want) row.querySelector('th')!.click();
          }
          return rows.filter((r) => (r.querySelector('.u-label')?.textContent ?? '').includes(' · ')).length;
        },
        { c, which },
      );
    const count = () =>
      p.evaluate((c) => {
        const chart = document.querySelectorAll<HTMLElement>('[data-panel] .chart')[c]!;
        const canvas = chart.querySelector('canvas')!;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let k = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 40) k++;
        return k;
      }, c);
    const panel = await p.evaluate((c) => document.querySelectorAll<HTMLElement>('[data-panel] .chart')[c]!.closest<HTMLElement>('[data-panel]')!.dataset.panel!, c);
    const r: Partial<ChartPixels> = { panel };
    for (const which of ['shown', 'compared', 'none'] as const) {
      r.comparedSeries = await set(which);
      await frames(p);
      r[which] = await count();
    }
    await set('all');
    out.push(r as ChartPixels);
  }
  await frames(p);
  return out;
}

/**
 * Per heatmap panel: painted columns and tinted pixels inside the plot area
 * (the colour legend on the right is left out: it is drawn even with no
 * data) of the shown run's map and of the compared run's (0 when hidden).
 * Tinted, not strongly coloured: cells near ‖J‖ = 1 are pale.
 */
const heatmapPixels = (p: Page) =>
  p.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-panel]')].flatMap((panel) => {
      const count = (box: HTMLElement | null) => {
        if (!box || box.hidden) return { columns: 0, pixels: 0, halfRange: 0 };
        const canvas = box.querySelector('canvas')!;
        const dpr = window.devicePixelRatio || 1;
        const [x0, x1] = [Math.round(44 * dpr), canvas.width - Math.round(100 * dpr)]; // heatmap.ts margins
        const d = canvas.getContext('2d')!.getImageData(x0, 0, x1 - x0, canvas.height).data;
        let k = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 10) k++;
        return { columns: Number(canvas.dataset.columns ?? 0), pixels: k, halfRange: Number(canvas.dataset.halfRange) };
      };
      const shown = panel.querySelector<HTMLElement>('.heatmap-box.shown');
      return shown ? [{ panel: panel.dataset.panel!, shown: count(shown), compared: count(panel.querySelector<HTMLElement>('.heatmap-box.compared')) }] : [];
    }),
  );

describe('comparison in chromium', () => {
  it('two real runs (LSTM, GRU), compare ticked: every panel shows both', async () => {
    const url = server.url.replace(/^http/, 'ws').replace(/\/$/, '');
    // One after the other: the machine's 2 cores are shared.
    await trainShortRun({ url, logdir, steps: 12, pauseMs: 0, cell: 'lstm', runName: 'compare e2e LSTM' });
    await trainShortRun({ url, logdir, steps: 12, pauseMs: 0, cell: 'gru', runName: 'compare e2e GRU' });
    const p = await openPage();
    await p.waitForFunction(() => {
      const runs = (window as unknown as { __gradscope: AppHandle }).__gradscope.runs;
      return ['compare e2e LSTM', 'compare e2e GRU'].every((n) => runs.some((r) => r.name === n && r.status === 'completed'));
    }, null, { timeout: 20_000 });
    // As a user: click the LSTM run's row, tick "compare" on the GRU's.
    await p.locator('table.runs tr', { hasText: 'compare e2e LSTM' }).locator('td').first().click();
    await p.locator('table.runs tr', { hasText: 'compare e2e GRU' }).locator('input[type=checkbox]').click();
    await p.waitForFunction(() => {
      const app = (window as unknown as { __gradscope: AppHandle }).__gradscope;
      const ids = new Map(app.runs.map((r) => [r.name, r.runId]));
      return app.primary === ids.get('compare e2e LSTM') && app.stores.get(ids.get('compare e2e GRU')!)?.end != null && app.stores.get(app.primary!)?.end != null;
    }, null, { timeout: 15_000 });
    await frames(p);
    await p.screenshot({ path: join(OUT, 'compare-1-real-runs.png'), fullPage: true });
    // Under the shown run's ending, the compared run's, from its own run-end.
    expect(await p.locator('#compare-end').textContent()).toMatch(/^Compared with compare e2e GRU — Completed after 12 steps: \d+ measurements?, /);

    const charts = await chartPixels(p);
    // loss, gradient norm; per layer: product, gradient line, λ, kernel, gates, saturation
    expect(charts.map((c) => c.panel)).toEqual(['loss', 'gradnorm', ...['product', 'gradient', 'ftle', 'kernel', 'gates', 'gates'].map((s) => expect.stringMatching(new RegExp(`-${s}$`)))]);
    expect(charts.filter((c) => c.comparedSeries === 0).map((c) => c.panel), 'charts without a compared series').toEqual([]);
    expect(charts.filter((c) => c.shown - c.none <= 30).map((c) => c.panel), 'charts where the shown run drew nothing').toEqual([]);
    expect(charts.filter((c) => c.compared - c.none <= 30).map((c) => c.panel), 'charts where the compared run drew nothing').toEqual([]);
    const measured = await p.evaluate(() => {
      const app = (window as unknown as { __gradscope: AppHandle }).__gradscope;
      return app.runs.filter((r) => r.name.startsWith('compare e2e')).map((r) => app.stores.get(r.runId)!.measurements.length);
    });
    const maps = await heatmapPixels(p);
    expect(maps.map((m) => m.panel)).toEqual([expect.stringMatching(/-stepnorm$/), expect.stringMatching(/-gradient$/)]);
    for (const m of maps) {
      // one column per measurement of each run (the GRU run is listed first: newest first)
      expect([m.compared.columns, m.shown.columns], `${m.panel}: heatmap columns`).toEqual(measured);
      expect(m.shown.pixels, `${m.panel}: shown heatmap empty`).toBeGreaterThan(1000);
      expect(m.compared.pixels, `${m.panel}: compared heatmap empty`).toBeGreaterThan(1000);
      expect(m.compared.halfRange, `${m.panel}: one colour scale for both maps`).toBe(m.shown.halfRange);
    }
    // The layers have different names (tfjs names them after the cell): matched by position.
    const badge = await p.locator('.layer .regime.compared').textContent();
    expect(badge).toMatch(/^compared: compare e2e GRU · gru\w*: \w+ · λ₁ = /);

    // Untick: the compared run leaves every panel.
    await p.locator('table.runs tr', { hasText: 'compare e2e GRU' }).locator('input[type=checkbox]').click();
    await frames(p);
    expect((await p.locator('.u-legend .u-label').allTextContents()).filter((l) => l.includes(' · '))).toEqual([]);
    expect((await heatmapPixels(p)).map((m) => m.compared.pixels)).toEqual([0, 0]);
    await p.close();
  }, 120_000);

  it("a compared series far outside the shown run's range is drawn (λ₁ −0.1 against −0.05…−0.025)", async () => {
    // The numbers: a GRU with λ₁ in −0.05…−0.025, a SimpleRNN-like run at λ₁ ≈ −0.1,
    // its losses ×100, gradient norms ×1000 and ‖J_t‖ × e⁻²; the layers named after their cells.
    const run = (runId: string, layer: string, lambda: (progress: number) => number, lossScale: number, gradScale: number, normScale: number) =>
      syntheticRun({ runId, steps: 50, T: 8, every: 5 }).map((e) => {
        if (e.type === 'run-start') return encodeEvent({ ...e, name: runId, model: { ...e.model, layers: e.model.layers.map((l) => ({ ...l, name: layer })) } });
        if (e.type === 'measurement') {
          const p = e.step / 49;
          const layers = e.layers.map((l): LayerMeasurement => ({
            ...l,
            layer,
            ftle: { mean: l.ftle.mean.map((_, i) => lambda(p) - 0.001 * i), min: l.ftle.min, max: l.ftle.max },
            stepNorm: { ...l.stepNorm, mean: l.stepNorm.mean.map((v) => v * normScale) },
          }));
          return encodeEvent({ ...e, layers });
        }
        if (e.type === 'train-step') return encodeEvent({ ...e, loss: e.loss! * lossScale, gradNormBefore: e.gradNormBefore! * gradScale, gradNormAfter: e.gradNormAfter! * gradScale });
        if (e.type === 'alert') return encodeEvent({ ...e, layer, message: `${runId} alert` });
        return encodeEvent(e as GradscopeEvent);
      });
    const p = await openPage();
    await p.evaluate(
      (r) => {
        const app = (window as unknown as { __gradscope: AppHandle }).__gradscope;
        app.injectEncoded('far-gru', r.a);
        app.injectEncoded('far-simplernn', r.b);
        app.select('far-gru');
        app.setCompare('far-simplernn');
      },
      { a: run('far-gru', 'gru', (q) => -0.05 + 0.025 * q, 1, 1, 1), b: run('far-simplernn', 'simple_rnn', () => -0.1, 100, 1000, Math.exp(-2)) },
    );
    await frames(p);
    await p.screenshot({ path: join(OUT, 'compare-2-far-outside.png'), fullPage: true });
    // Drawn at all: with only the compared run's series on, the λ chart has coloured pixels.
    const ftle = (await chartPixels(p)).find((c) => c.panel.endsWith('-ftle'))!;
    expect(ftle.compared - ftle.none, 'compared λ pixels').toBeGreaterThan(30);
    // Drawn inside the frame with everything on: the y axes span both runs.
    const range = (panel: string) => p.evaluate((panel) => document.querySelector<HTMLElement>(`[data-panel$="${panel}"] .chart`)!.dataset.yRange!.split(',').map(Number), panel);
    const [lo, hi] = await range('-ftle');
    expect(lo).toBeLessThan(-0.104); // λ₁ = −0.1 and λ₄ = −0.103 of the compared run, inside the frame
    expect(hi).toBeGreaterThanOrEqual(0); // and the λ = 0 line
    const [, lossHi] = await range('loss');
    expect(lossHi).toBeGreaterThanOrEqual(100); // compared loss starts at 100, the shown one at 1
    const [gLo, gHi] = await range('gradnorm');
    expect([gLo, gHi]).toEqual([0.1, 10_000]); // shown 0.5…3.5, compared 500…3500, on log decades
    expect(await p.locator('ol.alerts').textContent()).toContain('[far-simplernn] exploding: far-simplernn alert');
    for (const m of await heatmapPixels(p)) {
      expect(m.compared.columns, m.panel).toBe(10); // 50 steps, a measurement every 5
      expect(m.compared.pixels, m.panel).toBeGreaterThan(1000);
    }
    // ‖J_t‖: the shown run alone spans ln‖J‖ ∈ ±0.4 (colour range ±0.5), the compared one reaches
    // −2.4 (±4); both maps use ±4, so the same colour is the same ‖J_t‖ in both.
    const [norms] = await heatmapPixels(p);
    expect([norms!.shown.halfRange, norms!.compared.halfRange]).toEqual([4, 4]);
    await p.evaluate(() => (window as unknown as { __gradscope: AppHandle }).__gradscope.setCompare(null));
    await frames(p);
    const [alone] = await heatmapPixels(p);
    expect(alone!.shown.halfRange).toBe(0.5); // back to its own range once the compared run is gone
    await p.close();
  }, 60_000);

  it('a compared run with a single measurement is drawn (a dot where no line reaches)', async () => {
    const p = await openPage();
    await p.evaluate(
      (r) => {
        const app = (window as unknown as { __gradscope: AppHandle }).__gradscope;
        app.injectEncoded('long-run', r.a);
        app.injectEncoded('one-measurement', r.b);
        app.select('long-run');
        app.setCompare('one-measurement');
      },
      { a: syntheticRun({ runId: 'long-run', steps: 50, T: 8, every: 5 }).map((e) => encodeEvent(e)), b: syntheticRun({ runId: 'one-measurement', steps: 1, T: 8, every: 5 }).map((e) => encodeEvent(e)) },
    );
    await frames(p);
    const charts = await chartPixels(p);
    // Over training, the compared run has one point per series: without dots these charts drew nothing of it.
    for (const id of ['-ftle', '-kernel']) {
      const c = charts.find((x) => x.panel.endsWith(id))!;
      expect(c.compared - c.none, `${c.panel}: the compared run's single measurement`).toBeGreaterThan(10);
    }
    await p.screenshot({ path: join(OUT, 'compare-3-single-measurement.png'), fullPage: true });
    await p.close();
  }, 60_000);

  it('the smoothing slider smooths loss and gradient norm as TensorBoard does, and a reload keeps it', async () => {
    const p = await openPage();
    const losses = [1, 0.2, 0.9, 0.1, 0.8, 0.05, NaN, 0.7];
    const events: GradscopeEvent[] = syntheticRun({ runId: 'smooth', steps: losses.length, T: 4, every: 4 }).map((e) => (e.type === 'train-step' ? { ...e, loss: losses[e.step]! } : e));
    await p.evaluate((lines) => {
      const app = (window as unknown as { __gradscope: AppHandle }).__gradscope;
      app.injectEncoded('smooth', lines);
      app.select('smooth');
    }, events.map((e) => encodeEvent(e)));
    await p.locator('.smoothing input[type=range]').fill('0.6');
    await frames(p);
    const labels = await p.locator('[data-panel=loss] .u-legend .u-label').allTextContents();
    expect(labels).toContain('loss (raw)');
    expect(labels).toContain('loss');
    expect(await p.locator('[data-panel=gradnorm] .u-legend .u-label').allTextContents()).toContain('before clipping (raw)');
    // The plotted curve against the direct weighted sum, Σ_k w^{n−k}(1 − w)x_k / (1 − wⁿ) over the finite values (n of them).
    const plotted = await p.evaluate(() => {
      const app = (window as unknown as { __gradscope: { model: { loss: { plot: { data: (number | null)[][]; series: { label: string }[] } } } } }).__gradscope;
      const u = app.model.loss.plot;
      return u.data[u.series.findIndex((s) => s.label === 'loss')]!;
    });
    const w = 0.6;
    const finite = losses.filter(Number.isFinite);
    const expected = losses.map((x, i) => {
      if (!Number.isFinite(x)) return null; // a gap stays a gap
      const seen = losses.slice(0, i + 1).filter(Number.isFinite);
      const n = seen.length;
      return seen.reduce((s, v, k) => s + w ** (n - 1 - k) * (1 - w) * v, 0) / (1 - w ** n);
    });
    expect(finite.length).toBe(7);
    expect(plotted.length).toBe(losses.length);
    plotted.forEach((v, i) => (expected[i] === null ? expect(v).toBeNull() : expect(v).toBeCloseTo(expected[i]!, 12)));
    await p.reload();
    await p.waitForFunction(() => document.getElementById('status')?.dataset.state === 'open');
    expect(await p.locator('.smoothing input[type=range]').inputValue()).toBe('0.6');
    await p.close();
  }, 60_000);
});
