import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { EVENT_TYPES, type EventType, type GradscopeEvent } from './events.js';
import { exampleEvent, exampleEvents, exampleGruGates } from './examples.js';
import { checkEvent, validateEvent } from './validate.js';

/** An example event of `type`, as loose JSON to break. */
function loose(type: EventType): any {
  return exampleEvent(type);
}

function errorOf(x: unknown): string {
  const r = checkEvent(x);
  if (r.ok) throw new Error('expected a validation error, got a valid event');
  return r.error.message;
}

describe('validateEvent: valid events', () => {
  it('accepts the example of every event type and returns the same object', () => {
    const events = exampleEvents();
    expect(events.map((e) => e.type)).toEqual(EVENT_TYPES);
    for (const e of events) expect(validateEvent(e)).toBe(e);
  });

  it('accepts GRU gates on a GRU layer', () => {
    const e = loose('measurement');
    Object.assign(e.layers[0], { kind: 'gru', stateSize: 4, gates: exampleGruGates() });
    e.layers[0].ftle = { mean: [0], min: [0], max: [0] };
    expect(checkEvent(e).ok).toBe(true);
  });

  it('tolerates and keeps unknown fields, top-level and nested (forward compatibility)', () => {
    const e = loose('measurement');
    e.futureField = { anything: [1, 2] };
    e.layers[0].hessianTrace = 'NaN';
    const v = validateEvent(e) as any;
    expect(v.futureField).toEqual({ anything: [1, 2] });
    // Unknown fields are not decoded: the validator does not know they are numbers.
    expect(v.layers[0].hessianTrace).toBe('NaN');
  });

  it('accepts unknown kebab-case alert kinds and absent optional alert fields', () => {
    const e = loose('alert');
    e.kind = 'gate-collapse';
    delete e.layer;
    delete e.value;
    e.threshold = undefined;
    expect(checkEvent(e).ok).toBe(true);
  });

  it('accepts nulls where the protocol allows them', () => {
    const t = loose('train-step');
    Object.assign(t, { loss: null, gradNormBefore: null, gradNormAfter: null, learningRate: null });
    expect(checkEvent(t).ok).toBe(true);
    const m = loose('measurement');
    m.layers[0].gradNorm = null;
    m.layers[0].gates = null;
    expect(checkEvent(m).ok).toBe(true);
    const s = loose('run-start');
    s.model.layers[0].sequenceLength = null;
    expect(checkEvent(s).ok).toBe(true);
  });

  it('accepts non-finite numbers, as numbers or as markers, and decodes markers in place', () => {
    const e = loose('train-step');
    e.loss = NaN;
    e.gradNormBefore = 'Infinity';
    e.metrics.mae = '-Infinity';
    const v = validateEvent(e) as GradscopeEvent & { type: 'train-step' };
    expect(v.loss).toBeNaN();
    expect(v.gradNormBefore).toBe(Infinity);
    expect(v.metrics['mae']).toBe(-Infinity);
  });
});

describe('validateEvent: errors name the field and the problem', () => {
  it('rejects non-objects', () => {
    expect(errorOf(null)).toBe('event: expected an object, got null');
    expect(errorOf([1])).toBe('event: expected an object, got an array');
    expect(errorOf('{"type":"alert"}')).toBe('event: expected an object, got "{\\"type\\":\\"alert\\"}"');
  });

  it('rejects a missing or unsupported version, saying which versions are supported', () => {
    const e = loose('alert');
    delete e.version;
    expect(errorOf(e)).toBe('version: missing; this reader supports protocol version 1');
    expect(errorOf({ ...loose('alert'), version: 2 })).toBe('version: unsupported protocol version 2; this reader supports version 1');
    expect(errorOf({ ...loose('alert'), version: '1' })).toBe('version: unsupported protocol version "1"; this reader supports version 1');
  });

  it('rejects a missing or unknown type, listing the known ones', () => {
    const e = loose('alert');
    delete e.type;
    expect(errorOf(e)).toMatch(/^type: missing; expected one of run-start, train-step, measurement, clip, alert, run-end$/);
    expect(errorOf({ ...loose('alert'), type: 'heartbeat' })).toMatch(/^type: unknown event type "heartbeat"; expected one of run-start/);
  });

  it.each(EVENT_TYPES)('checks the envelope of %s', (type) => {
    const missing = loose(type);
    delete missing.seq;
    expect(errorOf(missing)).toBe(`${type}.seq: missing, expected an integer ≥ 0`);
    expect(errorOf({ ...loose(type), step: -1 })).toBe(`${type}.step: expected an integer ≥ 0, got -1`);
    expect(errorOf({ ...loose(type), epoch: 1.5 })).toBe(`${type}.epoch: expected an integer ≥ 0, got 1.5`);
    expect(errorOf({ ...loose(type), time: 'NaN' })).toBe(`${type}.time: expected a finite number ≥ 0, got "NaN"`);
    expect(errorOf({ ...loose(type), runId: '../x' })).toMatch(new RegExp(`^${type}\\.runId: a run id must not start with '\\.', got "\\.\\./x"$`));
    const noRun = loose(type);
    delete noRun.runId;
    expect(errorOf(noRun)).toBe(`${type}.runId: missing, expected a run id`);
  });

  // [event type, expected message, mutation] for each body field.
  const cases: [EventType, string, (e: any) => void][] = [
    ['run-start', 'run-start.name: expected a string, got 3', (e) => (e.name = 3)],
    ['run-start', 'run-start.model: missing, expected an object', (e) => delete e.model],
    ['run-start', 'run-start.model.layers[1].kind: expected one of "simpleRNN", "lstm", "gru", "custom", got "transformer"', (e) => (e.model.layers[1].kind = 'transformer')],
    ['run-start', 'run-start.model.layers[0].units: expected an integer ≥ 0, got "4"', (e) => (e.model.layers[0].units = '4')],
    ['run-start', 'run-start.model.layers[0].sequenceLength: expected an integer ≥ 0 or null, got "NaN"', (e) => (e.model.layers[0].sequenceLength = 'NaN')],
    ['run-start', 'run-start.model.layers[0]: expected an object, got "lstm_1"', (e) => (e.model.layers[0] = 'lstm_1')],
    ['run-start', 'run-start.model.totalParams: missing, expected an integer ≥ 0', (e) => delete e.model.totalParams],
    ['run-start', 'run-start.backend: expected a string, got null', (e) => (e.backend = null)],
    ['run-start', 'run-start.options.budget: expected a finite number (plain JSON), got Infinity', (e) => (e.options.budget = Infinity)],
    ['run-start', 'run-start.options.probe.xs[0]: expected plain JSON, got a function', (e) => (e.options.probe.xs = [() => 1])],
    ['run-start', 'run-start.versions.@tensorflow/tfjs: expected a string, got 4', (e) => (e.versions['@tensorflow/tfjs'] = 4)],
    ['train-step', 'train-step.loss: expected a number, got "abc"', (e) => (e.loss = 'abc')],
    ['train-step', 'train-step.metrics.mae: expected a number, got null', (e) => (e.metrics.mae = null)],
    ['train-step', 'train-step.metrics: missing, expected an object', (e) => delete e.metrics],
    ['train-step', 'train-step.gradNormBefore: missing, expected a number', (e) => delete e.gradNormBefore],
    ['train-step', 'train-step.gradNormAfter: expected a number, got a boolean', (e) => (e.gradNormAfter = true)],
    ['train-step', 'train-step.learningRate: expected a number, got "nan"', (e) => (e.learningRate = 'nan')],
    ['train-step', 'train-step.clipThreshold: expected a number, got "1"', (e) => (e.clipThreshold = '1')],
    ['measurement', 'measurement.layers: expected an array, got an object', (e) => (e.layers = {})],
    ['measurement', 'measurement.durationMs: expected a finite number ≥ 0, got -1', (e) => (e.durationMs = -1)],
    ['measurement', 'measurement.measuredIn: expected one of "worker", "thread", got "gpu"', (e) => (e.measuredIn = 'gpu')],
    ['measurement', 'measurement.layers[0].stepNorm.mean[3]: expected a number, got "abc"', (e) => (e.layers[0].stepNorm.mean[3] = 'abc')],
    ['measurement', 'measurement.layers[1].logProduct.max[0]: expected a number, got null', (e) => (e.layers[1].logProduct.max[0] = null)],
    ['measurement', 'measurement.layers[0].layer: expected a non-empty string', (e) => (e.layers[0].layer = '')],
    ['measurement', 'measurement.layers[0].kind: expected one of "simpleRNN", "lstm", "gru", "custom", got "LSTM"', (e) => (e.layers[0].kind = 'LSTM')],
    ['measurement', 'measurement.layers[0].method: expected one of "analytic", "autodiff", got "numeric"', (e) => (e.layers[0].method = 'numeric')],
    ['measurement', 'measurement.layers[0].samples: missing, expected an integer ≥ 0', (e) => delete e.layers[0].samples],
    ['measurement', "measurement.layers[0].logBound.min: length 5 differs from mean's length 6", (e) => e.layers[0].logBound.min.pop()],
    ['measurement', 'measurement.layers[0].stepNorm.mean: expected length 7 (steps, t = 1..T), got 6', (e) => (e.layers[0].steps = 7)],
    ['measurement', 'measurement.layers[1].beta.max: expected a number, got "high"', (e) => (e.layers[1].beta.max = 'high')],
    ['measurement', 'measurement.layers[1].ftle.mean: 3 exponents for a state of size 2', (e) => (e.layers[1].stateSize = 2)],
    ['measurement', 'measurement.layers[0].gradNorm.mean: expected length 7 (steps + 1, t = 0..T), got 6', (e) => (e.layers[0].gradNorm.mean.length = 6)],
    ['measurement', 'measurement.layers[0].gradNorm: expected an object or null, got 0', (e) => (e.layers[0].gradNorm = 0)],
    ['measurement', 'measurement.layers[0].recurrentKernel.spectralRadius: missing, expected a number', (e) => delete e.layers[0].recurrentKernel.spectralRadius],
    ['measurement', 'measurement.layers[0].gates.forget.mean[2]: expected a number, got "0.6"', (e) => (e.layers[0].gates.forget.mean[2] = '0.6')],
    ['measurement', "measurement.layers[0].gates.logCarousel.max: length 7 differs from mean's length 6", (e) => e.layers[0].gates.logCarousel.max.push(0)],
    ['measurement', 'measurement.layers[0].gates.saturation.cell: missing, expected a number', (e) => delete e.layers[0].gates.saturation.cell],
    ['measurement', 'measurement.layers[1].gates.kind: "gru" gates on a "simpleRNN" layer', (e) => (e.layers[1].gates = exampleGruGates())],
    ['measurement', 'measurement.layers[0].gates.kind: expected one of "lstm", "gru", got "peephole"', (e) => (e.layers[0].gates.kind = 'peephole')],
    ['measurement', 'measurement.layers[0].regime: expected one of "vanishing", "stable", "exploding", "non-finite", got "chaotic"', (e) => (e.layers[0].regime = 'chaotic')],
    ['measurement', 'measurement.layers[1].diagnosis.verdict: "stable" differs from the layer\'s regime "vanishing"', (e) => (e.layers[1].diagnosis.verdict = 'stable')],
    ['measurement', 'measurement.layers[0].diagnosis.follows[0]: expected one of lambda1, gradRatio, got "loss"', (e) => (e.layers[0].diagnosis.follows = ['loss'])],
    ['measurement', "measurement.layers[0].diagnosis.horizon.of: expected the layer's steps 6, got 7", (e) => (e.layers[0].diagnosis.horizon.of = 7)],
    ['measurement', 'measurement.layers[0].diagnosis.horizon.steps: 9 steps felt of 6', (e) => (e.layers[0].diagnosis.horizon.steps = 9)],
    ['measurement', 'measurement.layers[1].diagnosis.remedies[2].because: expected a non-empty string', (e) => (e.layers[1].diagnosis.remedies[2].because = '')],
    ['clip', 'clip.variables: expected at least one variable name', (e) => (e.variables = [])],
    ['clip', 'clip.variables[2]: expected a string, got 7', (e) => (e.variables[2] = 7)],
    ['clip', 'clip.mode: expected one of "clipNorm", "globalClipNorm", "clipValue", "autoClip", got "clip_norm"', (e) => (e.mode = 'clip_norm')],
    ['clip', 'clip.threshold: missing, expected a number', (e) => delete e.threshold],
    ['clip', 'clip.normBefore: expected a number, got "2.7"', (e) => (e.normBefore = '2.7')],
    ['clip', 'clip.scale: expected a number, got null', (e) => (e.scale = null)],
    ['clip', 'clip.fractionClipped: expected null for mode "globalClipNorm", got 0.1', (e) => (e.fractionClipped = 0.1)],
    ['clip', 'clip.scale: expected null for mode "clipValue", got 0.3662', (e) => (e.mode = 'clipValue')],
    ['clip', 'clip.fractionClipped: expected a number, got null', (e) => Object.assign(e, { mode: 'clipValue', scale: null })],
    ['alert', 'alert.kind: expected a kebab-case alert kind like "grad-spike", got "Grad Spike"', (e) => (e.kind = 'Grad Spike')],
    ['alert', 'alert.severity: expected one of "info", "warning", "error", got "fatal"', (e) => (e.severity = 'fatal')],
    ['alert', 'alert.message: missing, expected a string', (e) => delete e.message],
    ['alert', 'alert.layer: expected a string, got 1', (e) => (e.layer = 1)],
    ['alert', 'alert.value: expected a number, got null', (e) => (e.value = null)],
    ['alert', 'alert.threshold: expected a number, got "0.05"', (e) => (e.threshold = '0.05')],
    ['run-end', 'run-end.status: expected one of "completed", "stopped", "failed", got "crashed"', (e) => (e.status = 'crashed')],
    ['run-end', 'run-end.reason: missing, expected a string or null', (e) => delete e.reason],
    ['run-end', 'run-end.totals: expected an object, got null', (e) => (e.totals = null)],
    ['run-end', 'run-end.totals.alerts: expected an integer ≥ 0, got "none"', (e) => (e.totals.alerts = 'none')],
    ['run-end', 'run-end.totals.durationMs: missing, expected a finite number ≥ 0', (e) => delete e.totals.durationMs],
    ['run-end', 'run-end.totals.monitorShare: expected a finite number ≥ 0, or no field, got -0.1', (e) => (e.totals.monitorShare = -0.1)],
    ['run-end', 'run-end.totals.monitorShare: expected a finite number ≥ 0, or no field, got null', (e) => (e.totals.monitorShare = null)],
    ['run-end', 'run-end.totals.waitShare: expected a finite number ≥ 0 or null, or no field, got "4%"', (e) => (e.totals.waitShare = '4%')],
  ];

  it.each(cases)('%s → %s', (type, message, mutate) => {
    const e = loose(type);
    mutate(e);
    expect(errorOf(e)).toBe(message);
  });

  it('covers every event type with body cases', () => {
    expect(new Set(cases.map(([t]) => t))).toEqual(new Set(EVENT_TYPES));
  });

  it('throws a ProtocolError carrying path and problem separately', () => {
    const e = loose('measurement');
    e.layers[0].stepNorm.mean[3] = 'abc';
    try {
      validateEvent(e);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ name: 'ProtocolError', path: 'measurement.layers[0].stepNorm.mean[3]', problem: 'expected a number, got "abc"' });
    }
  });

  it('shortens long offending strings in messages', () => {
    const message = errorOf({ ...loose('train-step'), loss: 'x'.repeat(10_000) });
    expect(message.length).toBeLessThan(120);
    expect(message).toContain('(10000 characters)');
  });

  it('refuses deeply nested options instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(errorOf({ ...loose('run-start'), options: { deep } })).toMatch(/^run-start\.options\.deep(\[0\])+: nested deeper than 32 levels$/);
  });

  it('reads own fields only: a "__proto__" key in JSON does not supply missing fields', () => {
    const e = loose('train-step');
    delete e.metrics;
    const json = '{"__proto__": {"metrics": {}}, ' + JSON.stringify(e).slice(1);
    expect(errorOf(JSON.parse(json))).toBe('train-step.metrics: missing, expected an object');
  });
});

describe('checkEvent', () => {
  it('returns { ok, event } or { ok: false, error } without throwing', () => {
    const good = checkEvent(exampleEvent('clip'));
    expect(good.ok).toBe(true);
    expect(good.event?.type).toBe('clip');
    const bad = checkEvent({ version: 1, type: 'clip' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toBeInstanceOf(ProtocolError);
    expect(bad.error?.message).toBe('clip.runId: missing, expected a run id');
  });
});
