/**
 * A thin wrapper over uPlot: one chart, data set at most once per frame by
 * the caller (FrameScheduler), plus the three overlays the panels need that
 * uPlot does not draw itself — a vertical cursor at the selected training
 * step, horizontal reference lines (‖J‖ = 1, λ = 0, the clip threshold) and
 * event markers (clip events) drawn as ticks along the top edge.
 */
import uPlot from 'uplot';

export interface SeriesSpec {
  label: string;
  stroke: string;
  dash?: number[];
  width?: number;
  /** Second y axis (right side) for quantities in other units. */
  right?: boolean;
  fill?: string;
}

export interface RefLine {
  y: number;
  label: string;
  stroke: string;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  rightLabel?: string;
  logY?: boolean;
  height?: number;
  /** Fill between series i and j (indices into `series`, 0-based): the product–bound gap. */
  band?: { upper: number; lower: number; fill: string };
  /** Called with the x value under a click (the training step for over-training charts). */
  onPickX?: (x: number) => void;
}

export class LineChart {
  readonly el: HTMLDivElement;
  private plot: uPlot | null = null;
  private series: SeriesSpec[] = [];
  cursorX: number | null = null;
  refLines: RefLine[] = [];
  markers: number[] = [];
  markerColour = '#d62728';
  /** How many points the chart holds now (the browser test reads it). */
  points = 0;

  constructor(parent: HTMLElement, private readonly opts: LineChartOptions) {
    this.el = document.createElement('div');
    this.el.className = 'chart';
    parent.appendChild(this.el);
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.el);
  }

  get canvas(): HTMLCanvasElement | null {
    return this.plot?.ctx.canvas ?? null;
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.el.clientWidth), height: this.opts.height ?? 190 };
  }

  /** Sets series and data; rebuilds the plot only when the series themselves change. */
  setData(series: SeriesSpec[], data: (number | null)[][]): void {
    this.points = data[0]?.length ?? 0;
    const same = this.plot && series.length === this.series.length && series.every((s, i) => s.label === this.series[i]!.label);
    if (!same) {
      this.series = series;
      this.plot?.destroy();
      this.plot = new uPlot(this.options(), data as uPlot.AlignedData, this.el);
      return;
    }
    this.plot!.setData(data as uPlot.AlignedData);
  }

  /** Redraws the overlays only (cursor moved) without touching the data. */
  redrawOverlays(): void {
    this.plot?.redraw(false, false);
  }

  private options(): uPlot.Options {
    const o = this.opts;
    const hasRight = this.series.some((s) => s.right);
    const opts: uPlot.Options = {
      ...this.size(),
      scales: { x: { time: false }, y: o.logY ? { distr: 3 } : {}, r: {} },
      axes: [
        { label: o.xLabel, size: 36, labelSize: 14 },
        { label: o.yLabel, size: 56, labelSize: 14, scale: 'y' },
        ...(hasRight ? [{ label: o.rightLabel ?? '', side: 1 as const, scale: 'r', size: 50, labelSize: 14, grid: { show: false } }] : []),
      ],
      series: [
        { label: o.xLabel },
        ...this.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 1.5,
          scale: s.right ? 'r' : 'y',
          spanGaps: false,
          // A line needs two points: a run with one measurement so far shows it as a dot.
          points: { show: (u: uPlot) => (u.data[0]?.length ?? 0) <= 2, size: 7 },
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.fill ? { fill: s.fill } : {}),
        })),
      ],
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { show: true, live: true },
      hooks: { draw: [(u) => this.drawOverlays(u)] },
    };
    if (o.band) opts.bands = [{ series: [o.band.upper + 1, o.band.lower + 1], fill: o.band.fill }];
    if (o.onPickX) {
      const pick = o.onPickX;
      opts.hooks!.ready = [
        (u) =>
          u.over.addEventListener('click', (ev) => {
            const x = u.posToVal(ev.offsetX, 'x');
            if (Number.isFinite(x)) pick(x);
          }),
      ];
    }
    return opts;
  }

  private drawOverlays(u: uPlot): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const dpr = uPlot.pxRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const r of this.refLines) {
      const y = u.valToPos(r.y, 'y', true);
      if (!Number.isFinite(y)) continue;
      ctx.strokeStyle = r.stroke;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = r.stroke;
      ctx.font = `${11 * dpr}px system-ui, sans-serif`;
      ctx.fillText(r.label, left + 4 * dpr, y - 3 * dpr);
    }
    ctx.setLineDash([]);
    // Clip markers: a downward triangle at the top edge and a faint rule, so
    // dense clipping reads as a band and a single clip is still visible.
    ctx.fillStyle = this.markerColour;
    ctx.strokeStyle = this.markerColour + '55';
    ctx.lineWidth = 1 * dpr;
    const s = 5 * dpr;
    for (const m of this.markers) {
      const x = u.valToPos(m, 'x', true);
      if (!Number.isFinite(x)) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x - s, top);
      ctx.lineTo(x + s, top);
      ctx.lineTo(x, top + 1.6 * s);
      ctx.fill();
    }
    if (this.cursorX != null) {
      const x = u.valToPos(this.cursorX, 'x', true);
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }
}
