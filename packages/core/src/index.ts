/**
 * @gradscope/core — the mathematics on sequences of Jacobians.
 *
 * Conventions (see README.md): vectors are rows (tfjs), per-step quantities
 * for t = 1..T are stored at index t − 1, logs are natural, and everything
 * that can overflow is accumulated in log space.
 */
export { denseOperator, denseSequence, type BatchedOperator, type JacobianSequence, type OuterFactors, type SelectedOperator } from './operator.js';
export { selectRows } from './rows.js';
export { readsAtOnce } from './reads-at-once.js';
export { spectralNorm, spectralNormWithVector, spectralNormWithWarmVector, type SpectralNormOptions, type SpectralNormWithVector } from './spectral-norm.js';
export { denseSpectralNorm } from './dense-spectral-norm.js';
export { spectralRadius, type SpectralRadiusOptions } from './spectral-radius.js';
export { propagateProduct, type PropagateOptions, type Propagation } from './propagate.js';
export { analyzeSequence, productNorms, type AnalyzeOptions, type ProductNorms, type ProductNormsOptions, type SequenceAnalysis } from './analyze-sequence.js';
export { stepNorms, type StepNormOptions } from './step-norms.js';
export { lyapunovSpectrum } from './lyapunov.js';
export { summarize, summarizeScalar, type ScalarSummary, type SeriesSummary } from './summarize.js';
export {
  classifyRegime,
  indicatorVerdicts,
  DEFAULT_REGIME_THRESHOLDS,
  type IndicatorVerdicts,
  type Regime,
  type RegimeIndicators,
  type RegimeThresholds,
} from './regime.js';
export { gradientHorizon, gradientRatio, HORIZON_FACTOR, type GradientHorizon } from './horizon.js';
export { diagnose, describeHorizon, formatFigure, type Diagnosis, type DiagnosisInput, type DiagnosedCell, type Indicator, type Remedy } from './diagnosis.js';
