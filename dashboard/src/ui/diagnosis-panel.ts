/**
 * The diagnosis of one layer at the cursor, in words: the verdict and why
 * (which of λ₁ and the gradient ratio it follows), the gradient horizon, and
 * what to try with the figure behind each remedy. The text is the
 * measurement's own `diagnosis` (computed once by @gradscope/core), so it
 * reads exactly like the console line and the alerts.
 *
 * Text only, no canvas: it is a plain box rather than a `panel`, whose PNG
 * export and pixel checks are for charts.
 */
import type { LayerMeasurement } from '@gradscope/protocol';
import { fmt } from '../data/numbers.js';

const HELP =
  'The verdict follows the regime thresholds (packages/core README): vanishing when e^{Tλ₁} or g₀/g_T = ‖∂L/∂s_0‖/‖∂L/∂s_T‖ falls below 0.01, exploding above 100. When the two disagree it says which it follows and why. The horizon counts back from T while ‖∂L/∂s_t‖ stays within 10× of ‖∂L/∂s_T‖; 1/|λ₁| is the Jacobian product\'s own time scale.';

export class DiagnosisPanel {
  readonly el: HTMLElement;
  private readonly verdict: HTMLElement;
  private readonly horizon: HTMLElement;
  private readonly remedies: HTMLUListElement;
  /** What was drawn last, so a redraw at the same measurement does nothing. */
  private shown: LayerMeasurement | null | undefined = undefined;

  constructor(parent: HTMLElement, layer: string) {
    this.el = document.createElement('section');
    this.el.className = 'panel diagnosis';
    this.el.dataset.diagnosis = layer;
    const title = document.createElement('h3');
    title.textContent = 'diagnosis at the selected step';
    title.title = HELP;
    this.verdict = document.createElement('p');
    this.verdict.className = 'verdict';
    this.horizon = document.createElement('p');
    this.horizon.className = 'horizon';
    this.remedies = document.createElement('ul');
    this.remedies.className = 'remedies';
    this.el.append(title, this.verdict, this.horizon, this.remedies);
    parent.appendChild(this.el);
  }

  render(l: LayerMeasurement | null): void {
    if (l === this.shown) return;
    this.shown = l;
    const d = l?.diagnosis;
    this.remedies.replaceChildren();
    this.el.dataset.regime = l?.regime ?? 'none';
    if (!l) {
      this.verdict.textContent = 'no measurement yet';
      this.horizon.textContent = '';
      return;
    }
    if (!d) {
      this.verdict.textContent = `${l.regime} (this run was recorded before diagnoses existed: no reason, horizon or remedies)`;
      this.horizon.textContent = '';
      return;
    }
    this.verdict.textContent = d.reason;
    const h = d.horizon;
    const felt = h.steps === null ? `no gradient horizon (no finite gradient norms)` : `the loss at T feels the last ${h.steps} of ${h.of} steps (‖∂L/∂s_t‖ within ${h.factor}× of ‖∂L/∂s_T‖)`;
    this.horizon.textContent = `Gradient horizon: ${felt}; 1/|λ₁| = ${fmt(h.timeScale)} steps.`;
    if (d.remedies.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'Nothing to fix: both indicators are inside their bands.';
      this.remedies.appendChild(li);
    }
    for (const r of d.remedies) {
      const li = document.createElement('li');
      const action = document.createElement('code');
      action.textContent = r.action;
      li.append('Try ', action, ` — ${r.because}.`);
      this.remedies.appendChild(li);
    }
  }
}
