/**
 * Validation of LayerMeasurement records (the bulk of the protocol's bytes).
 * Besides types it checks the shapes a dashboard relies on to plot without
 * guarding every index: a Summary's mean/min/max have one length, the per-step
 * quantities have `steps` entries, gradNorm has steps + 1, and gates match the
 * layer's kind. A producer bug therefore fails loudly at the source.
 */
import { CELL_KINDS, DIAGNOSIS_INDICATORS, JACOBIAN_METHODS, REGIMES, type LayerMeasurement } from './measurement.js';
import { arr, asObject, count, fail, nonEmptyStr, nullableCount, nullableNum, nullableObj, num, numArray, obj, oneOf, str, strArray, type Obj } from './fields.js';

/** Checks `o[key]` is a Summary; `length` (when given) is the expected length and `why` names it. */
function summary(o: Obj, key: string, path: string, length?: number, why?: string): void {
  const s = obj(o, key, path);
  const p = `${path}.${key}`;
  const mean = numArray(s, 'mean', p);
  const min = numArray(s, 'min', p);
  const max = numArray(s, 'max', p);
  if (length !== undefined && mean.length !== length) {
    fail(`${p}.mean`, `expected length ${length} (${why}), got ${mean.length}`);
  }
  if (min.length !== mean.length) fail(`${p}.min`, `length ${min.length} differs from mean's length ${mean.length}`);
  if (max.length !== mean.length) fail(`${p}.max`, `length ${max.length} differs from mean's length ${mean.length}`);
}

function scalarSummary(o: Obj, key: string, path: string): void {
  const s = obj(o, key, path);
  const p = `${path}.${key}`;
  num(s, 'mean', p);
  num(s, 'min', p);
  num(s, 'max', p);
}

function saturation(o: Obj, path: string, names: readonly string[]): void {
  const s = obj(o, 'saturation', path);
  for (const n of names) num(s, n, `${path}.saturation`);
}

function gates(g: Obj, path: string, layerKind: string, steps: number): void {
  const kind = oneOf(g, 'kind', path, ['lstm', 'gru'] as const);
  if (kind !== layerKind) fail(`${path}.kind`, `"${kind}" gates on a "${layerKind}" layer`);
  const why = 'one per step';
  if (kind === 'lstm') {
    for (const k of ['forget', 'input', 'output', 'logCarousel']) summary(g, k, path, steps, why);
    saturation(g, path, ['forget', 'input', 'output', 'cell']);
  } else {
    for (const k of ['update', 'reset']) summary(g, k, path, steps, why);
    saturation(g, path, ['update', 'reset', 'candidate']);
  }
}

/** The diagnosis, when present: its verdict must be the layer's regime, so no reader sees two. */
function diagnosis(m: Obj, path: string, regime: string, steps: number): void {
  const d = obj(m, 'diagnosis', path);
  const p = `${path}.diagnosis`;
  const verdict = oneOf(d, 'verdict', p, REGIMES);
  if (verdict !== regime) fail(`${p}.verdict`, `"${verdict}" differs from the layer's regime "${regime}"`);
  const follows = strArray(d, 'follows', p);
  follows.forEach((f, i) => {
    if (!(DIAGNOSIS_INDICATORS as readonly string[]).includes(f)) fail(`${p}.follows[${i}]`, `expected one of ${DIAGNOSIS_INDICATORS.join(', ')}, got "${f}"`);
  });
  str(d, 'reason', p);
  nullableNum(d, 'gradRatio', p);
  const h = obj(d, 'horizon', p);
  const hp = `${p}.horizon`;
  const felt = nullableCount(h, 'steps', hp);
  const of = count(h, 'of', hp);
  if (of !== steps) fail(`${hp}.of`, `expected the layer's steps ${steps}, got ${of}`);
  if (felt !== null && felt > of) fail(`${hp}.steps`, `${felt} steps felt of ${of}`);
  num(h, 'factor', hp);
  num(h, 'timeScale', hp);
  const remedies = arr(d, 'remedies', p);
  remedies.forEach((r, i) => {
    const rp = `${p}.remedies[${i}]`;
    const o = asObject(r, rp);
    nonEmptyStr(o, 'action', rp);
    nonEmptyStr(o, 'because', rp);
  });
}

/** Checks one element of measurement.layers; `path` is its full path. */
export function validateLayerMeasurement(x: unknown, path: string): LayerMeasurement {
  const m = asObject(x, path);
  nonEmptyStr(m, 'layer', path);
  const kind = oneOf(m, 'kind', path, CELL_KINDS);
  oneOf(m, 'method', path, JACOBIAN_METHODS);
  count(m, 'units', path);
  const stateSize = count(m, 'stateSize', path);
  const steps = count(m, 'steps', path);
  count(m, 'samples', path);
  const perStep = 'steps, t = 1..T';
  summary(m, 'stepNorm', path, steps, perStep);
  summary(m, 'logProduct', path, steps, perStep);
  summary(m, 'logBound', path, steps, perStep);
  scalarSummary(m, 'beta', path);
  summary(m, 'ftle', path);
  const k = (obj(m, 'ftle', path)['mean'] as number[]).length;
  if (k > stateSize) fail(`${path}.ftle.mean`, `${k} exponents for a state of size ${stateSize}`);
  if (nullableObj(m, 'gradNorm', path) !== null) summary(m, 'gradNorm', path, steps + 1, 'steps + 1, t = 0..T');
  const kernel = obj(m, 'recurrentKernel', path);
  num(kernel, 'norm', `${path}.recurrentKernel`);
  num(kernel, 'spectralRadius', `${path}.recurrentKernel`);
  const g = nullableObj(m, 'gates', path);
  if (g !== null) gates(g, `${path}.gates`, kind, steps);
  const regime = oneOf(m, 'regime', path, REGIMES);
  if (m['diagnosis'] !== undefined) diagnosis(m, path, regime, steps);
  return m as unknown as LayerMeasurement;
}
