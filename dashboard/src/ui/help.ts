/**
 * What each panel shows, in the seed's terms (Pascanu, Mikolov, Bengio 2013:
 * ‖∂h_T/∂h_0‖ = ‖Π J_t‖ ≤ Π ‖J_t‖ ≤ β^T). Shown under a panel's title when
 * the "?" is toggled, and as its tooltip.
 */
export const HELP = {
  heatmap:
    'Each cell is ln‖J_t‖, the most one recurrent step t can stretch a perturbation (J_t = ∂s_t/∂s_{t−1}), at one training step. White: ‖J_t‖ = 1. Blue: ‖J_t‖ < 1 — if every step is blue, the bound Π‖J_t‖ ≤ β^T shrinks exponentially: gradients vanish. Red: ‖J_t‖ > 1 — growth is possible (it needs aligned directions; see the product panel). Click a column to select that training step.',
  product:
    'At the selected step: ln‖J_t⋯J_1‖ (what the product really does), the seed\'s bound Σ ln‖J_u‖ = ln Π‖J_u‖, and t·ln β (the β^T line, β = max‖J_t‖). The shaded gap is how loose the submultiplicative bound is: gating (f ≈ 1) and misaligned singular directions make the product far smaller than the bound.',
  gradient:
    'ln‖∂L/∂s_t‖: the gradient that backpropagation delivers to time step t at the selected training step. A line falling towards t = 0 is the vanishing gradient: early steps get (almost) no training signal. A rising one is exploding. The heatmap shows ln(‖∂L/∂s_t‖ / ‖∂L/∂s_T‖) over training: blue = weaker than at the last step.',
  ftle:
    'Finite-time Lyapunov exponents λ₁ ≥ λ₂ ≥ … over training: the average ln-growth per step of perturbations along the most expanding directions (QR of the Jacobian products). λ₁ > 0: perturbations and gradients grow (exploding); λ₁ < 0: they shrink (vanishing). The dashed line is 0.',
  kernel:
    '‖R‖₂ and the spectral radius ρ(R) of the recurrent kernel, and the mean over t of ‖J_t‖. For tanh, ‖J_t‖ ≤ ‖R‖₂ (seed); Pascanu: ρ(R) < 1 is sufficient for vanishing, ρ(R) > 1 necessary for exploding. Saturation makes mean ‖J_t‖ drop below ‖R‖₂.',
  gates:
    'Gate means against t at the selected step, and ln Π f_u (the LSTM carousel, right axis): how much of the cell state c_0 survives to step t. f ≈ 1 makes ∂c_t/∂c_{t−1} ≈ I — the seed\'s reason gating keeps products near norm 1. For GRU, the update gate z ≈ 1 copies the state.',
  saturation:
    'Saturation fractions over training: the share of gate units whose derivative is below 10% of its maximum. A saturated gate passes (almost) no gradient — with hardSigmoid exactly none outside ±2.5.',
  loss: 'Training loss (and metrics) per optimizer step. With a second run selected, its curves are dashed.',
  gradNorm:
    'Global gradient norm over all weights before (solid) and after (dashed) clipping, log scale. Red ticks: clip events; the dashed red line is the clip threshold. Exploding Jacobian products show up here as spikes.',
  alerts: 'What the monitor flagged (regime changes, λ₁ crossing 0, gradient spikes, NaN). Click one to move the cursor to its step.',
} as const;
