/**
 * Canvas heatmap: training step on x (one column per measurement, binned by
 * powers of two once they outgrow the width), time step t on y (t = 1 at the
 * bottom), a diverging colour per cell. The image lives in an ImageData of
 * `capacity` columns × rows; a live measurement repaints one column and
 * uploads just that column (putImageData's dirty rect). The visible canvas
 * then scales the image into the plot area and draws axes, cursor and legend:
 * a cheap blit, not a per-cell redraw.
 */
import { binSizeFor, binValue, columnRange, columnsFor } from '../data/binning.js';
import { DivergingScale, NAN_RGB, NEG_INF_RGB, POS_INF_RGB, snapHalfRange } from '../data/colour-scale.js';
import { fmt, maxAbsFinite } from '../data/numbers.js';

export interface HeatmapSource {
  /** Number of columns (measurements) available. */
  count: number;
  /** Bumps when earlier columns changed (rebuild instead of append). */
  revision: number;
  /** Values of column i, one per row (row 0 = first time step). */
  column(i: number): ArrayLike<number>;
  /** Training step of column i. */
  step(i: number): number;
  /** First time-step label (1 for ‖J_t‖, 0 for ‖∂L/∂s_t‖). */
  firstRow: number;
}

export interface HeatmapOptions {
  yLabel: string;
  /** How to label a legend value v (e.g. ‖J‖ = e^v). */
  legendLabel: (v: number) => string;
  capacity?: number;
  height?: number;
  onPickStep?: (step: number) => void;
}

const M = { left: 44, right: 100, top: 8, bottom: 30 };

export class Heatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly image: HTMLCanvasElement = document.createElement('canvas');
  private data: ImageData | null = null;
  private words: Uint32Array | null = null;
  private rows = 0;
  private consumed = 0;
  private binSize = 1;
  private revision = -1;
  private scale = new DivergingScale(0.25);
  /** Largest finite |value| of the columns painted so far (the range without any shared floor). */
  private dataMaxAbs = 0;
  private source: HeatmapSource | null = null;
  cursorStep: number | null = null;
  private readonly capacity: number;

  constructor(parent: HTMLElement, private readonly opts: HeatmapOptions) {
    this.capacity = opts.capacity ?? 512;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap';
    parent.appendChild(this.canvas);
    this.canvas.addEventListener('click', (ev) => this.pick(ev.offsetX));
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /** Columns painted so far (after binning); exposed for the browser test. */
  get columns(): number {
    return columnsFor(this.consumed, this.binSize);
  }

  /** Largest finite |value| painted; a pair of heatmaps shares max(both) as `floor` so one colour means one value in both. */
  get maxAbs(): number {
    return this.dataMaxAbs;
  }

  get halfRange(): number {
    return this.scale.halfRange;
  }

  /** The next update repaints every column: its source is now another run's. */
  reset(): void {
    this.revision = -1;
  }

  /**
   * Paints what is new in `src`. `floor`: the colour range covers at least
   * ±floor (another heatmap's data, so the two are drawn on one scale).
   */
  update(src: HeatmapSource, floor = 0): void {
    this.source = src;
    const rows = src.count > 0 ? src.column(0).length : 0;
    let full = src.revision !== this.revision || rows !== this.rows || src.count < this.consumed;
    if (full) this.dataMaxAbs = 0;
    for (let i = full ? 0 : this.consumed; i < src.count; i++) this.dataMaxAbs = Math.max(this.dataMaxAbs, maxAbsFinite(src.column(i)));
    const half = snapHalfRange(Math.max(this.dataMaxAbs, floor));
    if (half !== this.scale.halfRange) {
      this.scale = new DivergingScale(half);
      full = true; // colours of old columns change with the range: repaint all (log₂ times per run)
    }
    const bin = binSizeFor(src.count, this.capacity);
    if (bin !== this.binSize) full = true;
    if (full) {
      this.revision = src.revision;
      this.rows = rows;
      this.binSize = bin;
      this.consumed = 0;
      this.image.width = this.capacity;
      this.image.height = Math.max(1, rows);
      this.data = new ImageData(this.capacity, Math.max(1, rows));
      this.words = new Uint32Array(this.data.data.buffer);
    }
    if (src.count > this.consumed && this.data) {
      const firstCol = Math.floor(this.consumed / this.binSize);
      const lastCol = Math.floor((src.count - 1) / this.binSize);
      for (let c = firstCol; c <= lastCol; c++) this.paintColumn(c, src);
      this.consumed = src.count;
      const ctx = this.image.getContext('2d')!;
      ctx.putImageData(this.data, 0, 0, firstCol, 0, lastCol - firstCol + 1, this.rows);
    }
    this.canvas.dataset.columns = String(this.columns);
    this.canvas.dataset.halfRange = String(this.scale.halfRange); // the colour range, for the browser test
    this.draw();
  }

  private paintColumn(c: number, src: HeatmapSource): void {
    const [first, last] = columnRange(c, this.binSize, src.count);
    const members: ArrayLike<number>[] = [];
    for (let i = first; i <= last; i++) members.push(src.column(i));
    const scratch: number[] = new Array(members.length);
    const words = this.words!;
    for (let r = 0; r < this.rows; r++) {
      for (let m = 0; m < members.length; m++) scratch[m] = members[m]![r] ?? NaN;
      // Row r (time step firstRow + r) goes to image row rows−1−r: time runs upwards.
      words[(this.rows - 1 - r) * this.capacity + c] = this.scale.packed(binValue(scratch));
    }
  }

  private plotRect(): { x: number; y: number; w: number; h: number } {
    const dpr = window.devicePixelRatio || 1;
    return { x: M.left * dpr, y: M.top * dpr, w: this.canvas.width - (M.left + M.right) * dpr, h: this.canvas.height - (M.top + M.bottom) * dpr };
  }

  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(240, this.canvas.clientWidth || 480);
    const cssH = this.opts.height ?? 190;
    if (this.canvas.width !== Math.round(cssW * dpr)) this.canvas.width = Math.round(cssW * dpr);
    if (this.canvas.height !== Math.round(cssH * dpr)) this.canvas.height = Math.round(cssH * dpr);
    this.canvas.style.height = `${cssH}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const p = this.plotRect();
    ctx.fillStyle = '#f3f3f3';
    ctx.fillRect(p.x, p.y, p.w, p.h);
    const cols = this.columns;
    const src = this.source;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = '#333';
    if (!src || cols === 0 || this.rows === 0) {
      ctx.fillText('waiting for the first measurement…', p.x + 8 * dpr, p.y + p.h / 2);
      this.drawLegend(ctx, p, dpr);
      return;
    }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, 0, 0, cols, this.rows, p.x, p.y, p.w, p.h);
    // Axes: t on the left (first and last row, middle), steps along the bottom.
    ctx.textAlign = 'right';
    const tLast = src.firstRow + this.rows - 1;
    ctx.fillText(String(tLast), p.x - 4 * dpr, p.y + 9 * dpr);
    ctx.fillText(String(src.firstRow), p.x - 4 * dpr, p.y + p.h);
    ctx.save();
    ctx.translate(12 * dpr, p.y + p.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(this.opts.yLabel, 0, 0);
    ctx.restore();
    ctx.textAlign = 'center';
    const ticks = Math.min(cols, 5);
    for (let k = 0; k < ticks; k++) {
      const c = ticks === 1 ? 0 : Math.round((k * (cols - 1)) / (ticks - 1));
      const [first] = columnRange(c, this.binSize, src.count);
      ctx.fillText(String(src.step(first)), p.x + ((c + 0.5) * p.w) / cols, p.y + p.h + 13 * dpr);
    }
    ctx.fillText(`training step${this.binSize > 1 ? ` (${this.binSize} measurements per column)` : ''}`, p.x + p.w / 2, p.y + p.h + 26 * dpr);
    if (this.cursorStep != null) {
      const c = this.columnOfStep(this.cursorStep);
      if (c >= 0) {
        const x = p.x + ((c + 0.5) * p.w) / cols;
        ctx.strokeStyle = '#111';
        ctx.lineWidth = 2 * dpr;
        ctx.strokeRect(x - p.w / cols / 2, p.y, Math.max(2 * dpr, p.w / cols), p.h);
      }
    }
    this.drawLegend(ctx, p, dpr);
  }

  private columnOfStep(step: number): number {
    const src = this.source;
    if (!src) return -1;
    let idx = -1;
    for (let i = 0; i < src.count; i++) if (src.step(i) <= step) idx = i;
    return idx < 0 ? -1 : Math.floor(idx / this.binSize);
  }

  private drawLegend(ctx: CanvasRenderingContext2D, p: { x: number; y: number; w: number; h: number }, dpr: number): void {
    const x = p.x + p.w + 8 * dpr;
    const w = 12 * dpr;
    const sw = p.h * 0.72;
    for (let i = 0; i < sw; i++) {
      const v = this.scale.halfRange * (1 - (2 * i) / sw);
      ctx.fillStyle = this.scale.css(v);
      ctx.fillRect(x, p.y + i, w, 1.5);
    }
    ctx.textAlign = 'left';
    ctx.fillStyle = '#333';
    const m = this.scale.halfRange;
    ctx.fillText(this.opts.legendLabel(m), x + w + 3 * dpr, p.y + 9 * dpr);
    ctx.fillText(this.opts.legendLabel(0), x + w + 3 * dpr, p.y + sw / 2 + 4 * dpr);
    ctx.fillText(this.opts.legendLabel(-m), x + w + 3 * dpr, p.y + sw);
    // Swatches for values outside the ramp.
    const swatches: [readonly number[], string][] = [
      [NAN_RGB, 'NaN'],
      [POS_INF_RGB, '+∞'],
      [NEG_INF_RGB, '−∞'],
    ];
    swatches.forEach(([rgb, label], k) => {
      const y = p.y + sw + (8 + 11 * k) * dpr;
      ctx.fillStyle = `rgb(${rgb.join(',')})`;
      ctx.fillRect(x, y, w, 9 * dpr);
      ctx.fillStyle = '#333';
      ctx.fillText(label, x + w + 3 * dpr, y + 8 * dpr);
    });
  }

  private pick(offsetX: number): void {
    const src = this.source;
    if (!src || this.columns === 0 || !this.opts.onPickStep) return;
    const dpr = window.devicePixelRatio || 1;
    const p = this.plotRect();
    const c = Math.floor(((offsetX * dpr - p.x) / p.w) * this.columns);
    if (c < 0 || c >= this.columns) return;
    const [, last] = columnRange(c, this.binSize, src.count);
    this.opts.onPickStep(src.step(last));
  }
}

/** Legend label of ln‖J‖ = v as a norm: ‖J‖ = e^v, in plain numbers. */
export function normLegend(symbol: string): (v: number) => string {
  return (v) => `${symbol} = ${fmt(Math.exp(v), 2)}`;
}
