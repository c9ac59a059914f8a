import { describe, expect, it } from 'vitest';
import { diagnose, formatFigure, type DiagnosisInput } from './diagnosis.js';
import { classifyRegime } from './regime.js';

/** ‖∂L/∂s_t‖ for t = 0..T falling geometrically by `perStep` per step back from g_T = 1. */
const geometric = (T: number, perStep: number) => Array.from({ length: T + 1 }, (_, t) => perStep ** (T - t));

const simpleRNN = (over: Partial<DiagnosisInput> = {}): DiagnosisInput => ({
  kind: 'simpleRNN',
  steps: 100,
  lambda1: -0.147,
  gradNorm: geometric(100, 0.85),
  meanStepNorm: 0.62,
  recurrentKernel: { norm: 0.9, spectralRadius: 0.8 },
  ...over,
});

describe('diagnose: the verdict and what it follows', () => {
  it('SimpleRNN where both indicators say vanishing', () => {
    const d = diagnose(simpleRNN());
    expect(d.verdict).toBe('vanishing');
    expect(d.follows).toEqual(['lambda1', 'gradRatio']);
    expect(d.reason).toMatch(/^vanishing: λ₁ = −0\.147 per step .* agree$/);
    // 0.85^t ≥ 0.1 for t ≤ 14 (0.85^14 = 0.103, 0.85^15 = 0.087): states T..T−14 → 15 steps.
    expect(d.horizon.steps).toBe(15);
    expect(d.horizon.timeScale).toBeCloseTo(1 / 0.147, 12);
    expect(d.gradRatio).toBeCloseTo(0.85 ** 100, 20);
  });

  it('the LSTM case: λ₁ preserved, gradient ratio vanishing → follows the ratio and says why', () => {
    // λ₁ = +0.011 over T = 100: e^{1.1} = 3.0, inside [1e-2, 1e2]; g₀/g_T = 1.9e-4.
    const g = geometric(100, 0.92);
    const d = diagnose({ kind: 'lstm', steps: 100, lambda1: 0.011, gradNorm: g, carryGate: { name: 'forget', mean: 0.95, saturation: 0.01, activation: 'sigmoid' } });
    expect(d.verdict).toBe('vanishing');
    expect(d.follows).toEqual(['gradRatio']);
    expect(d.reason).toContain('following the gradient ratio');
    expect(d.reason).toContain('the loss gradient lives in directions that decay');
    expect(d.reason).toContain('λ₁ = 0.0110');
    // Never contradicts the numbers: the verdict is classifyRegime's on the same figures.
    expect(d.verdict).toBe(classifyRegime({ lambda1: 0.011, steps: 100, gradRatio: g[0]! / g[100]! }));
  });

  it('exploding by λ₁ while the ratio says vanishing: exploding outranks it, and says so', () => {
    const d = diagnose(simpleRNN({ lambda1: 0.1, gradNorm: geometric(100, 0.9), gradNormHistory: [1, 2, 3, 50] }));
    expect(d.verdict).toBe('exploding');
    expect(d.follows).toEqual(['lambda1']);
    expect(d.reason).toMatch(/exploding, following λ₁: .* exploding outranks vanishing/);
  });

  it('stable when both are inside their bands; no remedy', () => {
    const d = diagnose(simpleRNN({ lambda1: -0.01, gradNorm: geometric(100, 0.99) }));
    expect(d.verdict).toBe('stable');
    expect(d.follows).toEqual(['lambda1', 'gradRatio']);
    expect(d.remedies).toEqual([]);
  });

  it('without probe targets: λ₁ alone, no horizon steps', () => {
    const d = diagnose(simpleRNN({ gradNorm: null }));
    expect(d.verdict).toBe('vanishing');
    expect(d.follows).toEqual(['lambda1']);
    expect(d.reason).toContain('from λ₁ alone');
    expect(d.horizon.steps).toBeNull();
    expect(d.gradRatio).toBeNull();
  });

  it('non-finite', () => {
    const d = diagnose(simpleRNN({ lambda1: NaN }));
    expect(d.verdict).toBe('non-finite');
    expect(d.remedies[0]!.action).toContain('stopOnNaN');
  });

  it('non-finite, with stopOnNaN already on: not suggested again, the other remedies stay', () => {
    const without = diagnose(simpleRNN({ lambda1: NaN }));
    const d = diagnose(simpleRNN({ lambda1: NaN, stopsOnNaN: true }));
    expect(d.verdict).toBe('non-finite');
    expect(d.remedies.map((r) => r.action)).toEqual(without.remedies.slice(1).map((r) => r.action));
    expect(d.remedies.some((r) => r.action.includes('stopOnNaN'))).toBe(false);
  });
});

describe('diagnose: a remedy per verdict, with its figure', () => {
  it('exploding: a globalClipNorm at the median of the observed norms, and AutoClip', () => {
    // History 1, 2, 3, 50: median (2 + 3)/2 = 2.5, largest 50 = 20× it.
    const d = diagnose(simpleRNN({ lambda1: 0.1, gradNormHistory: [3, 1, 50, 2] }));
    expect(d.remedies[0]!.action).toBe('withClipping(optimizer, { globalClipNorm: 2.5 })');
    expect(d.remedies[0]!.because).toContain('the median global gradient norm over the last 4 steps is 2.50 and the largest 50.0 (20.0× it)');
    expect(d.remedies[1]!.action).toContain('autoClip');
    // No history: AutoClip only, saying why.
    const bare = diagnose(simpleRNN({ lambda1: 0.1 }));
    expect(bare.remedies.map((r) => r.action)).toEqual(['withClipping(optimizer, { autoClip: { percentile: 10 } })']);
    expect(bare.remedies[0]!.because).toContain('no gradient-norm history');
  });

  it('vanishing SimpleRNN: gated cell (mean ‖J_t‖), orthogonal init (‖R‖), shorter sequences (the horizon)', () => {
    const d = diagnose(simpleRNN());
    expect(d.remedies.map((r) => r.action.split(':')[0])).toEqual(['a gated cell', 'orthogonal recurrent initialisation', 'shorter sequences (or split them), so the dependency fits the horizon']);
    expect(d.remedies[0]!.because).toContain('mean ‖J_t‖ = 0.620');
    expect(d.remedies[1]!.because).toContain('‖R‖₂ = 0.900, ρ(R) = 0.800: the recurrent kernel itself contracts');
    expect(d.remedies[2]!.because).toContain('the loss at T feels the last 15 of 100 steps');
  });

  it('vanishing SimpleRNN whose steps stretch (mean ‖J_t‖ ≥ 1, ‖R‖₂ > 1): says the product shrinks anyway, no initialisation remedy', () => {
    // The demo's SimpleRNN at the end of training: mean ‖J_t‖ = 1.43, ‖R‖₂ = 1.5, λ₁ = −0.11.
    const d = diagnose(simpleRNN({ lambda1: -0.11, meanStepNorm: 1.43, recurrentKernel: { norm: 1.5, spectralRadius: 0.98 } }));
    expect(d.remedies[0]!.because).toBe(
      'mean ‖J_t‖ = 1.43 ≥ 1, yet the product shrinks (λ₁ = −0.110 per step): each step stretches a different direction, so none is carried; a carry gate near 1 makes ∂s_t/∂s_{t−1} ≈ I along the kept state',
    );
    expect(d.remedies.some((r) => r.action.startsWith('orthogonal'))).toBe(false);
  });

  it('vanishing LSTM with hardSigmoid gates: forget bias (survival of c_0) and sigmoid (saturation)', () => {
    // Forget gate 0.7 over T = 20: 0.7^20 = 7.98e-4.
    const d = diagnose({ kind: 'lstm', steps: 20, lambda1: -0.5, gradNorm: geometric(20, 0.5), carryGate: { name: 'forget', mean: 0.7, saturation: 0.42, activation: 'hardSigmoid' } });
    expect(d.remedies[0]!.action).toContain('unitForgetBias: true');
    expect(d.remedies[0]!.because).toBe('the forget gate averages 0.700, so after T = 20 steps 0.700^20 = 8.0e-4 of the cell state c_0 remains');
    expect(d.remedies[1]!.action).toContain("recurrentActivation: 'sigmoid'");
    expect(d.remedies[1]!.because).toContain('(42.0% of the forget gate');
    // With sigmoid gates there is no activation remedy.
    const sig = diagnose({ kind: 'lstm', steps: 20, lambda1: -0.5, gradNorm: geometric(20, 0.5), carryGate: { name: 'forget', mean: 0.7, saturation: 0.42, activation: 'sigmoid' } });
    expect(sig.remedies.some((r) => r.action.includes('sigmoid'))).toBe(false);
  });

  it('vanishing GRU: the update-gate bias', () => {
    const d = diagnose({ kind: 'gru', steps: 50, lambda1: -0.2, gradNorm: geometric(50, 0.6), carryGate: { name: 'update', mean: 0.5, saturation: 0, activation: 'sigmoid' } });
    expect(d.remedies[0]!.action).toContain('update-gate bias');
    expect(d.remedies[0]!.because).toContain('the update gate averages 0.500');
  });
});

describe('formatFigure', () => {
  it('three significant digits, exponents outside [1e-3, 1e4), true minus signs', () => {
    expect(formatFigure(0.011)).toBe('0.0110');
    expect(formatFigure(-0.147)).toBe('−0.147');
    expect(formatFigure(2.9e-7)).toBe('2.9e-7');
    expect(formatFigure(12345)).toBe('1.2e+4');
    expect(formatFigure(-Infinity)).toBe('−∞');
  });
});
