/**
 * Runtime validation of events: the boundary where untrusted JSON (a
 * websocket frame, a line of a log file) becomes a typed GradscopeEvent.
 *
 * Rules (PROTOCOL.md "Validation"):
 * - checked in order: an object, a supported `version`, a known `type`, the
 *   envelope, then the body; the first problem throws a ProtocolError naming
 *   the field path, rooted at the event type: `clip.threshold: …`;
 * - unknown fields, at the top level or nested, are tolerated and kept: a
 *   producer of the same version may add optional fields, and a server that
 *   stores what it validated must not strip what a newer dashboard reads;
 * - in number positions the non-finite markers "NaN", "Infinity" and
 *   "-Infinity" are decoded in place (validation is decoding), so the event
 *   returned is the object passed in, not a copy.
 */
import { ProtocolError } from './errors.js';
import {
  CLIP_MODES,
  EVENT_TYPES,
  MEASURED_IN,
  RUN_STATUSES,
  SEVERITIES,
  SUPPORTED_VERSIONS,
  type EventType,
  type GradscopeEvent,
} from './events.js';
import { CELL_KINDS } from './measurement.js';
import {
  arr,
  asObject,
  count,
  describe,
  fail,
  finiteNonNegative,
  nonEmptyStr,
  nullableCount,
  nullableNum,
  nullableStr,
  num,
  numRecord,
  obj,
  oneOf,
  optionalFiniteNonNegative,
  optionalNum,
  optionalStr,
  plainJson,
  str,
  strArray,
  strRecord,
  type Obj,
} from './fields.js';
import { runIdProblem } from './run-id.js';
import { validateLayerMeasurement } from './validate-measurement.js';

const supported = SUPPORTED_VERSIONS.join(', ');

function version(e: Obj): void {
  const v = e['version'];
  if (v === undefined) fail('version', `missing; this reader supports protocol version ${supported}`);
  if (typeof v !== 'number' || !SUPPORTED_VERSIONS.includes(v)) {
    fail('version', `unsupported protocol version ${describe(v)}; this reader supports version ${supported}`);
  }
}

function eventType(e: Obj): EventType {
  const t = e['type'];
  if (typeof t === 'string' && (EVENT_TYPES as readonly string[]).includes(t)) return t as EventType;
  const known = EVENT_TYPES.join(', ');
  if (t === undefined) fail('type', `missing; expected one of ${known}`);
  fail('type', `unknown event type ${describe(t)}; expected one of ${known}`);
}

function envelope(e: Obj, p: string): void {
  const problem = runIdProblem(e['runId']);
  if (problem !== null) {
    const v = e['runId'];
    fail(`${p}.runId`, v === undefined ? 'missing, expected a run id' : `${problem}, got ${describe(v)}`);
  }
  count(e, 'seq', p);
  count(e, 'step', p);
  count(e, 'epoch', p);
  finiteNonNegative(e, 'time', p);
}

function runStart(e: Obj, p: string): void {
  str(e, 'name', p);
  const model = obj(e, 'model', p);
  const mp = `${p}.model`;
  const layers = arr(model, 'layers', mp);
  for (let i = 0; i < layers.length; i++) {
    const lp = `${mp}.layers[${i}]`;
    const l = asObject(layers[i], lp);
    nonEmptyStr(l, 'name', lp);
    oneOf(l, 'kind', lp, CELL_KINDS);
    count(l, 'units', lp);
    count(l, 'stateSize', lp);
    nullableCount(l, 'sequenceLength', lp);
  }
  count(model, 'totalParams', mp);
  str(e, 'backend', p);
  plainJson(obj(e, 'options', p), `${p}.options`);
  strRecord(e, 'versions', p);
}

function trainStep(e: Obj, p: string): void {
  nullableNum(e, 'loss', p);
  numRecord(e, 'metrics', p);
  nullableNum(e, 'gradNormBefore', p);
  nullableNum(e, 'gradNormAfter', p);
  nullableNum(e, 'learningRate', p);
  optionalNum(e, 'clipThreshold', p);
}

function measurement(e: Obj, p: string): void {
  const layers = arr(e, 'layers', p);
  for (let i = 0; i < layers.length; i++) validateLayerMeasurement(layers[i], `${p}.layers[${i}]`);
  finiteNonNegative(e, 'durationMs', p);
  if (e['measuredIn'] !== undefined) oneOf(e, 'measuredIn', p, MEASURED_IN);
}

function clip(e: Obj, p: string): void {
  const variables = strArray(e, 'variables', p);
  if (variables.length === 0) fail(`${p}.variables`, 'expected at least one variable name');
  const mode = oneOf(e, 'mode', p, CLIP_MODES);
  num(e, 'threshold', p);
  num(e, 'normBefore', p);
  // scale belongs to the norm modes, fractionClipped to clipValue: the other one is null,
  // so a reader never has to guess which of the two numbers is meaningful.
  if (mode === 'clipValue') {
    if (e['scale'] !== null) fail(`${p}.scale`, `expected null for mode "clipValue", got ${describe(e['scale'])}`);
    num(e, 'fractionClipped', p);
  } else {
    num(e, 'scale', p);
    const f = e['fractionClipped'];
    if (f !== null) fail(`${p}.fractionClipped`, `expected null for mode "${mode}", got ${describe(f)}`);
  }
}

/** Alert kinds are an open set of kebab-case words; unknown ones are shown generically. */
const ALERT_KIND = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function alert(e: Obj, p: string): void {
  const kind = str(e, 'kind', p);
  if (!ALERT_KIND.test(kind) || kind.length > 64) {
    fail(`${p}.kind`, `expected a kebab-case alert kind like "grad-spike", got ${describe(kind)}`);
  }
  oneOf(e, 'severity', p, SEVERITIES);
  str(e, 'message', p);
  optionalStr(e, 'layer', p);
  optionalNum(e, 'value', p);
  optionalNum(e, 'threshold', p);
}

function runEnd(e: Obj, p: string): void {
  oneOf(e, 'status', p, RUN_STATUSES);
  nullableStr(e, 'reason', p);
  const totals = obj(e, 'totals', p);
  const tp = `${p}.totals`;
  count(totals, 'steps', tp);
  count(totals, 'epochs', tp);
  count(totals, 'measurements', tp);
  count(totals, 'clips', tp);
  count(totals, 'alerts', tp);
  finiteNonNegative(totals, 'durationMs', tp);
  optionalFiniteNonNegative(totals, 'monitorShare', tp);
  optionalFiniteNonNegative(totals, 'waitShare', tp, true);
  optionalFiniteNonNegative(totals, 'slowdownShare', tp, true);
}

const BODY: Record<EventType, (e: Obj, path: string) => void> = {
  'run-start': runStart,
  'train-step': trainStep,
  measurement,
  clip,
  alert,
  'run-end': runEnd,
};

/**
 * `x` as a typed event, or throws a ProtocolError naming the first bad field.
 * Decodes non-finite markers in number positions in place and returns `x`.
 */
export function validateEvent(x: unknown): GradscopeEvent {
  const e = asObject(x, 'event');
  version(e);
  const type = eventType(e);
  envelope(e, type);
  BODY[type](e, type);
  return e as unknown as GradscopeEvent;
}

export type CheckResult = { ok: true; event: GradscopeEvent; error?: undefined } | { ok: false; event?: undefined; error: ProtocolError };

/** validateEvent without the throw: { ok: true, event } or { ok: false, error }. */
export function checkEvent(x: unknown): CheckResult {
  try {
    return { ok: true, event: validateEvent(x) };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, error: err };
    throw err; // a bug here, not bad input: do not disguise it as a protocol error
  }
}
