/**
 * The options of measureModel, checked the way gradscope() checks its own:
 * an unknown option or a value of the wrong type is an error that names
 * measureModel, the option, the value and what would do; k is checked
 * against each measured cell's state size once that is known.
 */
import { checkOptions, type OptionCheck } from '@gradscope/protocol';
import { MeasureCache } from './measure-cache.js';

const METHODS = ['auto', 'analytic', 'autodiff'];

const positiveInteger: OptionCheck = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'a positive integer');

/** One check per option of MeasureOptions (measure-model.ts); the keys are the known options. */
const CHECKS: Record<string, OptionCheck> = {
  layers: (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? null : 'a non-empty array of layer names'),
  method: (v) => (typeof v === 'string' && METHODS.includes(v) ? null : `one of ${METHODS.map((m) => `'${m}'`).join(', ')}`),
  k: positiveInteger,
  loss: (v) => (typeof v === 'function' ? null : 'a function of the model outputs returning a scalar loss'),
  // The threshold names and values are checked by @gradscope/core classifyRegime.
  thresholds: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'an object of regime thresholds, e.g. { gradRatioVanishing: 1e-3 }'),
  cache: (v) => (v instanceof MeasureCache ? null : 'a MeasureCache (new MeasureCache())'),
  gradNormHistory: (v) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? null : 'an array of numbers (recent global gradient norms)'),
  stopsOnNaN: (v) => (typeof v === 'boolean' ? null : 'true or false'),
  pause: (v) => (typeof v === 'function' ? null : 'a function returning a Promise, awaited between the pieces of a measurement'),
};

export const MEASURE_OPTIONS: readonly string[] = Object.keys(CHECKS);

/** Throws a TypeError naming measureModel and the bad option; call before any work. */
export function checkMeasureOptions(options: unknown): void {
  checkOptions('measureModel', options, CHECKS, 'measureModel(model, probe, { k: 4 })');
}

/**
 * k vectors of the state space are propagated, so k can be at most the
 * state size N of the cell (2·units for an LSTM: h and c). Throws an error
 * (a TypeError, as every option error) that names the caller (`fn`), the
 * cell and its state size.
 */
export function checkKForCell(k: number | null | undefined, cell: string, stateSize: number, fn = 'measureModel'): void {
  if (k != null && k > stateSize) {
    throw new TypeError(
      `${fn}: option 'k' must be at most the state size ${stateSize} of cell '${cell}' (k directions of its ${stateSize}-dimensional state are propagated; leave k out for min(${stateSize}, 8)), got ${k}`,
    );
  }
}
