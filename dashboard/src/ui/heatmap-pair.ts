/**
 * A heatmap of the shown run and, when a run is compared, the compared run's
 * heatmap of the same quantity under it, captioned, on one colour scale.
 * Side by side rather than a difference: the two runs are measured at
 * different training steps (and may have different T), so a difference would
 * need values invented by interpolation; on one scale, equal colours mean
 * equal values, and each map keeps its own steps along x.
 */
import { Heatmap, type HeatmapOptions, type HeatmapSource } from './heatmap.js';

export class HeatmapPair {
  readonly shown: Heatmap;
  readonly compared: Heatmap;
  private readonly captions: [HTMLElement, HTMLElement];
  private readonly comparedBox: HTMLElement;
  /** Which run and layer the compared heatmap holds: another one must be painted from scratch. */
  private comparedKey = '';

  constructor(parent: HTMLElement, opts: HeatmapOptions) {
    const box = (cls: string) => {
      const el = document.createElement('div');
      el.className = `heatmap-box ${cls}`;
      const caption = document.createElement('div');
      caption.className = 'heatmap-caption';
      el.appendChild(caption);
      parent.appendChild(el);
      return { el, caption };
    };
    const a = box('shown');
    this.shown = new Heatmap(a.el, opts);
    const b = box('compared');
    this.compared = new Heatmap(b.el, opts);
    this.comparedBox = b.el;
    this.comparedBox.hidden = true;
    this.captions = [a.caption, b.caption];
    this.captions[0].hidden = true;
  }

  /** Canvases to export as PNG: the compared one only while it is shown. */
  get canvases(): HTMLCanvasElement[] {
    return this.comparedBox.hidden ? [this.shown.canvas] : [this.shown.canvas, this.compared.canvas];
  }

  set cursorStep(step: number | null) {
    this.shown.cursorStep = step;
    this.compared.cursorStep = step;
  }

  /** New data: `other` is the compared run's source and caption, or null. */
  update(src: HeatmapSource, other: { key: string; src: HeatmapSource; caption: string; shownCaption: string } | null): void {
    if (!other) {
      this.comparedBox.hidden = true;
      this.captions[0].hidden = true;
      this.shown.update(src);
      return;
    }
    if (other.key !== this.comparedKey) this.compared.reset();
    this.comparedKey = other.key;
    this.comparedBox.hidden = false;
    this.captions[0].hidden = false;
    this.captions[0].textContent = other.shownCaption;
    this.captions[1].textContent = other.caption;
    // One scale for both: each paints with the other's largest |value| as a
    // floor; a second pass only when the compared data widened the range
    // (ranges snap to powers of two, so that repaint is rare).
    this.shown.update(src, this.compared.maxAbs);
    this.compared.update(other.src, this.shown.maxAbs);
    if (this.compared.halfRange !== this.shown.halfRange) this.shown.update(src, this.compared.maxAbs);
  }

  /** Cursor moved, data did not. */
  draw(): void {
    this.shown.draw();
    if (!this.comparedBox.hidden) this.compared.draw();
  }
}
