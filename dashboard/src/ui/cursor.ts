/**
 * The training-step cursor shared by every panel: a slider over [0, latest
 * step] and a "follow latest" toggle. Following is on by default while the
 * run is live; picking a step (slider, heatmap column, chart click, alert)
 * turns it off so the view stops moving under the user.
 */
export class StepCursor {
  readonly el: HTMLElement;
  follow = true;
  private step = 0;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLSpanElement;
  private readonly followBox: HTMLInputElement;

  constructor(parent: HTMLElement, private readonly changed: () => void) {
    this.el = document.createElement('div');
    this.el.className = 'cursor';
    this.slider = document.createElement('input');
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = '0';
    this.slider.oninput = () => this.pick(Number(this.slider.value));
    this.label = document.createElement('span');
    const f = document.createElement('label');
    this.followBox = document.createElement('input');
    this.followBox.type = 'checkbox';
    this.followBox.checked = true;
    this.followBox.onchange = () => {
      this.follow = this.followBox.checked;
      this.changed();
    };
    f.append(this.followBox, ' follow latest');
    this.el.append('training step ', this.slider, this.label, f);
    parent.appendChild(this.el);
  }

  pick(step: number): void {
    this.step = Math.max(0, Math.round(step));
    this.follow = false;
    this.followBox.checked = false;
    this.changed();
  }

  /** The step to show given the latest one; keeps the slider in range. */
  resolve(latest: number): number {
    this.slider.max = String(latest);
    const s = this.follow ? latest : Math.min(this.step, latest);
    this.slider.value = String(s);
    this.label.textContent = ` ${s} / ${latest}`;
    return s;
  }
}
