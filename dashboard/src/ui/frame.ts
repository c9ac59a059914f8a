/**
 * One requestAnimationFrame loop for the whole page. Events may arrive many
 * times per frame (websocket batches, replay pages); they only mark the page
 * dirty, and the render runs at most once per animation frame — so every
 * uPlot setData and heatmap paint happens at most once per frame.
 *
 * The time each render takes is kept (a ring of the last 10,000) because the
 * README promises figures for it; the browser test and the benchmark read them.
 */
export class FrameScheduler {
  readonly renderTimes: number[] = [];
  private pending = false;

  constructor(private readonly render: () => void) {}

  request(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      const t0 = performance.now();
      this.render();
      this.renderTimes.push(performance.now() - t0);
      if (this.renderTimes.length > 10_000) this.renderTimes.splice(0, 5_000);
    });
  }
}
