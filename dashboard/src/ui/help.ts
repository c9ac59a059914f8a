/**
 * What each panel shows, in the seed's terms (Pascanu, Mikolov, Bengio 2013:
 * ‖∂h_T/∂h_0‖ = ‖Π J_t‖ ≤ Π ‖J_t‖ ≤ β^T). Shown under a panel's title when
 * the "?" is toggled, and as its tooltip.
 */

/** How every line chart shows a compared run (tick "compare" on a second run). */
const COMPARED =
  ' With a compared run: its series are dotted, in the colour of their counterpart here, labelled "· run name"; its layer is the one of the same name, else the one at the same position; charts at the selected step use its measurement at or before that step. The axes span every series shown (legend clicks hide one).';
/** How the heatmaps show a compared run. */
const COMPARED_MAP =
  ' With a compared run, its map is drawn under this one on the same colour scale (so equal colours mean equal values), each with its own training steps along x: side by side rather than a difference, because two runs are measured at different training steps and may have different T, so a difference would need invented, interpolated values.';
/** TensorBoard's smoothing, as the slider above the model-wide charts applies it. */
const SMOOTHING =
  ' The smoothing slider (weight w, 0 = off) applies TensorBoard\'s exponential moving average with debiasing: a_n = w·a_{n−1} + (1 − w)·x_n from a_0 = 0, shown as a_n / (1 − wⁿ), which removes the pull towards 0 at the start; NaN and ∞ pass through without entering the average. The raw values stay as a faint line under each smoothed curve.';

export const HELP = {
  heatmap:
    'Each cell is ln‖J_t‖, the most one recurrent step t can stretch a perturbation (J_t = ∂s_t/∂s_{t−1}), at one training step. White: ‖J_t‖ = 1. Blue: ‖J_t‖ < 1 — if every step is blue, the bound Π‖J_t‖ ≤ β^T shrinks exponentially: gradients vanish. Red: ‖J_t‖ > 1 — growth is possible (it needs aligned directions; see the product panel). Click a column to select that training step.' + COMPARED_MAP,
  product:
    'At the selected step: ln‖J_t⋯J_1‖ (what the product really does), the seed\'s bound Σ ln‖J_u‖ = ln Π‖J_u‖, and t·ln β (the β^T line, β = max‖J_t‖). The shaded gap is how loose the submultiplicative bound is: gating (f ≈ 1) and misaligned singular directions make the product far smaller than the bound.' + COMPARED,
  gradient:
    'ln‖∂L/∂s_t‖: the gradient that backpropagation delivers to time step t at the selected training step. A line falling towards t = 0 is the vanishing gradient: early steps get (almost) no training signal. A rising one is exploding. The heatmap shows ln(‖∂L/∂s_t‖ / ‖∂L/∂s_T‖) over training: blue = weaker than at the last step. The compared run\'s line shows its probe mean only.' + COMPARED + COMPARED_MAP,
  ftle:
    'Finite-time Lyapunov exponents λ₁ ≥ λ₂ ≥ … over training: the average ln-growth per step of perturbations along the most expanding directions (QR of the Jacobian products). λ₁ > 0: perturbations and gradients grow (exploding); λ₁ < 0: they shrink (vanishing). The dashed line is 0.' + COMPARED,
  kernel:
    '‖R‖₂ and the spectral radius ρ(R) of the recurrent kernel, and the mean over t of ‖J_t‖. For tanh, ‖J_t‖ ≤ ‖R‖₂ (seed); Pascanu: ρ(R) < 1 is sufficient for vanishing, ρ(R) > 1 necessary for exploding. Saturation makes mean ‖J_t‖ drop below ‖R‖₂.' + COMPARED,
  gates:
    'Gate means against t at the selected step, and ln Π f_u (the LSTM carousel, right axis): how much of the cell state c_0 survives to step t. f ≈ 1 makes ∂c_t/∂c_{t−1} ≈ I — the seed\'s reason gating keeps products near norm 1. For GRU, the update gate z ≈ 1 copies the state.' + COMPARED,
  saturation:
    'Saturation fractions over training: the share of gate units whose derivative is below 10% of its maximum. A saturated gate passes (almost) no gradient — with hardSigmoid exactly none outside ±2.5.' + COMPARED,
  loss: 'Training loss (and metrics) per optimizer step.' + SMOOTHING + COMPARED,
  gradNorm:
    'Global gradient norm over all weights before (solid) and after (dashed) clipping, log scale. Red ticks: clip events; the dashed red line is the clip threshold. Exploding Jacobian products show up here as spikes (smoothing is off by default so that they do; like TensorBoard it averages the norms themselves, not their logarithm). The threshold and clip ticks are the shown run\'s.' + SMOOTHING + COMPARED,
  alerts: 'What the monitor flagged (regime changes, λ₁ crossing 0, gradient spikes, NaN). Click one to move the cursor to its step. A compared run\'s alerts are listed too, in italics, tagged [run name].',
} as const;
