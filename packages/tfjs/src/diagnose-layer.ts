import { diagnose, type RegimeThresholds } from '@gradscope/core';
import type { Diagnosis, LayerMeasurement } from '@gradscope/protocol';

export interface DiagnoseLayerOptions {
  /** The cell's recurrentActivation class name ('sigmoid', 'hardSigmoid', …). */
  gateActivation?: string;
  gradNormHistory?: readonly number[];
  /** The monitor's stopOnNaN is on. */
  stopsOnNaN?: boolean;
  thresholds?: Partial<RegimeThresholds>;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * @gradscope/core's diagnosis of one measured layer, from the probe means the
 * measurement record carries: the verdict, the gradient ratio and horizon
 * are computed here once, from the same numbers the record shows beside them.
 */
export function diagnoseLayer(m: Omit<LayerMeasurement, 'regime' | 'diagnosis'>, options: DiagnoseLayerOptions = {}): Diagnosis {
  const carry =
    m.gates?.kind === 'lstm'
      ? { name: 'forget' as const, mean: mean(m.gates.forget.mean), saturation: m.gates.saturation.forget }
      : m.gates?.kind === 'gru'
        ? { name: 'update' as const, mean: mean(m.gates.update.mean), saturation: m.gates.saturation.update }
        : null;
  return diagnose({
    kind: m.kind,
    steps: m.steps,
    lambda1: m.ftle.mean[0] ?? NaN,
    gradNorm: m.gradNorm ? m.gradNorm.mean : null,
    meanStepNorm: mean(m.stepNorm.mean),
    recurrentKernel: m.recurrentKernel,
    ...(carry ? { carryGate: { ...carry, ...(options.gateActivation ? { activation: options.gateActivation } : {}) } } : {}),
    ...(options.gradNormHistory ? { gradNormHistory: options.gradNormHistory } : {}),
    ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    ...(options.stopsOnNaN ? { stopsOnNaN: true } : {}),
  });
}
