import * as tf from '@tensorflow/tfjs';
import { analyzeSequence, summarize, summarizeScalar, type RegimeThresholds } from '@gradscope/core';
import type { JacobianMethod, LayerMeasurement } from '@gradscope/protocol';
import { activationName } from './activation-jacobian.js';
import { diagnoseLayer } from './diagnose-layer.js';
import { buildCellSequence, resolveMethod } from './cell-jacobians.js';
import { gruGates, lstmGates } from './gate-statistics.js';
import type { MeasureCache } from './measure-cache.js';
import { checkKForCell, checkMeasureOptions } from './measure-options.js';
import { checkProbe, compiledLoss, type Probe } from './probe.js';
import { disposeRecord, probeRun, type ProbeLoss } from './probe-run.js';
import { recurrentKernelNorms } from './recurrent-kernel.js';
import { selectRecurrentLayers } from './recurrent-layers.js';

export interface MeasureOptions {
  /** Names of the recurrent layers to measure; default: every recurrent layer. */
  layers?: string[];
  /** 'auto' (default): analytic Jacobians for built-in cells, autodiff for custom ones. */
  method?: 'auto' | JacobianMethod;
  /**
   * Vectors propagated through the product (and Lyapunov exponents reported).
   * Default: core's, min(N, 8). With k = N the product norm is exact; with
   * fewer it is a lower bound that tightens as the sequence grows.
   */
  k?: number;
  /** A loss to use instead of the model's compiled loss (outputs → scalar). */
  loss?: ProbeLoss;
  /** Regime thresholds (see @gradscope/core classifyRegime). */
  thresholds?: Partial<RegimeThresholds>;
  /**
   * Warm starts kept between the measurements of one run (see
   * measure-cache.ts): the call reads the previous measurement's vectors
   * from it and leaves its own. Default: none (every measurement cold).
   */
  cache?: MeasureCache;
  /**
   * Recent global gradient norms of the training steps; an exploding
   * layer's diagnosis derives its suggested clip threshold from them. The
   * monitor passes its own; default none.
   */
  gradNormHistory?: readonly number[];
  /** The caller's monitor has stopOnNaN on: a non-finite layer's diagnosis does not suggest it. */
  stopsOnNaN?: boolean;
  /**
   * Awaited between the pieces of a measurement — after the probe run, and
   * per cell after its Jacobians, its norms, its gates and its kernel — so
   * the caller can let its event loop run (the monitor does, so a page's
   * websocket is not starved while it measures). Default: none.
   */
  pause?: () => Promise<void>;
}

/**
 * Seven significant digits: what float32 arithmetic resolves. Writing the
 * float64 noise beyond that doubled the size of every measurement line.
 */
function roundDeep<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(7)) : value) as T;
  if (Array.isArray(value)) return value.map(roundDeep) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)])) as T;
  return value;
}

/**
 * Measures every recurrent layer of `model` on a probe batch: per-step
 * Jacobian norms, product against bound, finite-time Lyapunov exponents,
 * the gradient reaching each step (for the model's own loss on probe.ys),
 * recurrent kernel norms, gate statistics and the regime. One record per
 * cell (two per Bidirectional, one per cell of StackedRNNCells), as plain
 * JSON-ready numbers. Runs with training = false (no dropout) and leaves no
 * tensors behind.
 */
export async function measureModel(model: tf.LayersModel, probe: Probe, options: MeasureOptions = {}): Promise<LayerMeasurement[]> {
  checkProbe(model, probe);
  checkMeasureOptions(options);
  const targets = selectRecurrentLayers(model, options.layers);
  if (targets.length === 0) {
    throw new Error(`gradscope: this model has no recurrent layer (SimpleRNN, LSTM, GRU, RNN or Bidirectional) to measure`);
  }
  const loss = options.loss ?? compiledLoss(model, probe) ?? undefined;
  const records = probeRun(model, targets, probe.xs, loss);
  const results: LayerMeasurement[] = [];
  const pause = options.pause ?? (async () => {});
  try {
    await pause();
    for (const [l, target] of targets.entries()) {
      for (const [i, cell] of target.cells.entries()) {
        const record = records[l]![i]!;
        const [samples, steps, size] = record.sPrev.shape;
        checkKForCell(options.k, cell.name, size);
        const method = resolveMethod(cell.kind, options.method);
        const { sequence, linearization } = buildCellSequence(cell, record, method);
        try {
          await pause();
          // The previous measurement's vectors, else a start the cell's structure suggests (cold).
          const cached = options.cache?.start(cell.name, samples * steps, size);
          const structural = cached ? undefined : await linearization?.startVectors?.();
          const stepStart = cached ?? structural?.vectors;
          let analysis;
          try {
            analysis = await analyzeSequence(sequence, {
              ...(options.k === undefined ? {} : { k: options.k }),
              ...(options.cache ? { stepVectors: true } : {}),
              // A structural start that is exact ends as a warm one; a guess is checked as strictly as a random one, and against one (spectralNorm).
              ...(stepStart ? { stepStart, stepStartWarm: cached !== undefined || structural?.exact === true } : {}),
            });
          } finally {
            structural?.vectors.dispose();
          }
          if (analysis.stepVectors) options.cache!.keep(cell.name, analysis.stepVectors);
          await pause();
          const gates =
            linearization?.kind === 'lstm'
              ? lstmGates(linearization, samples, steps)
              : linearization?.kind === 'gru'
                ? gruGates(linearization, samples, steps)
                : null;
          await pause();
          const kernel = await recurrentKernelNorms(cell.cell, cell.kind);
          const measured = {
            layer: cell.name,
            kind: cell.kind,
            method,
            units: Number(cell.cell.units ?? size),
            stateSize: size,
            steps,
            samples,
            stepNorm: summarize(analysis.stepNorm),
            logProduct: summarize(analysis.logProduct),
            logBound: summarize(analysis.logBound),
            beta: summarizeScalar(analysis.beta),
            ftle: summarize(analysis.ftle),
            gradNorm: record.gradNorm ? summarize(record.gradNorm) : null,
            recurrentKernel: kernel,
            gates,
          };
          // LSTM and GRU cells have gates; their activation shapes the remedies (hardSigmoid's flat tails).
          const gateFn = (cell.cell as { recurrentActivation?: unknown }).recurrentActivation;
          const gateActivation = gateFn ? activationName(gateFn) : undefined;
          const diagnosis = diagnoseLayer(measured, {
            ...(gateActivation ? { gateActivation } : {}),
            ...(options.gradNormHistory ? { gradNormHistory: options.gradNormHistory } : {}),
            ...(options.thresholds ? { thresholds: options.thresholds } : {}),
            ...(options.stopsOnNaN ? { stopsOnNaN: true } : {}),
          });
          results.push(roundDeep({ ...measured, regime: diagnosis.verdict, diagnosis } satisfies LayerMeasurement));
        } finally {
          sequence.dispose();
        }
      }
    }
  } finally {
    records.flat().forEach(disposeRecord);
  }
  return results;
}
