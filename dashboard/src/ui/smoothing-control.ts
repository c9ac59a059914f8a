/**
 * The smoothing slider of the loss and gradient-norm charts (TensorBoard's:
 * weight 0 = raw, up to 0.99). One slider for both, like TensorBoard's one
 * per page; the weight lives in the URL hash's `smoothing=` so a reload or a
 * shared link keeps it.
 */
export class SmoothingControl {
  readonly el: HTMLElement;
  weight: number;
  private readonly input: HTMLInputElement;
  private readonly value: HTMLSpanElement;

  constructor(parent: HTMLElement, private readonly changed: () => void) {
    this.el = document.createElement('label');
    this.el.className = 'smoothing';
    this.el.title = 'Exponential moving average with debiasing, as in TensorBoard: 0 = raw values; the faint line under a smoothed curve is the raw data.';
    this.input = document.createElement('input');
    this.input.type = 'range';
    this.input.min = '0';
    this.input.max = '0.99';
    this.input.step = '0.01';
    this.value = document.createElement('span');
    const fromHash = Number(new URLSearchParams(location.hash.slice(1)).get('smoothing'));
    this.weight = Number.isFinite(fromHash) && fromHash >= 0 && fromHash <= 0.99 ? fromHash : 0;
    this.input.value = String(this.weight);
    this.value.textContent = this.weight.toFixed(2);
    this.input.oninput = () => {
      this.weight = Number(this.input.value);
      this.value.textContent = this.weight.toFixed(2);
      const h = new URLSearchParams(location.hash.slice(1));
      h.set('smoothing', String(this.weight));
      history.replaceState(null, '', `#${h}`);
      this.changed();
    };
    this.el.append('smoothing (loss, gradient norm) ', this.input, this.value);
    parent.appendChild(this.el);
  }
}
