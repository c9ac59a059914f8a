import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from './encode.js';
import { EVENT_TYPES, type GradscopeEvent } from './events.js';
import { exampleEvent, exampleEvents, exampleGruGates, exampleNonFiniteAlert } from './examples.js';
import { checkEvent } from './validate.js';

type Path = (string | number)[];

/** Paths of every number leaf of a JSON-like value. */
function numberLeaves(x: unknown, path: Path = []): Path[] {
  if (typeof x === 'number') return [path];
  if (Array.isArray(x)) return x.flatMap((v, i) => numberLeaves(v, [...path, i]));
  if (typeof x === 'object' && x !== null) return Object.entries(x).flatMap(([k, v]) => numberLeaves(v, [...path, k]));
  return [];
}

function setAt(root: any, path: Path, value: unknown): void {
  let o = root;
  for (const key of path.slice(0, -1)) o = o[key];
  o[path[path.length - 1]!] = value;
}

function getAt(root: any, path: Path): unknown {
  return path.reduce((o, key) => o[key], root);
}

/** Every example, plus a GRU layer so GRU gates are covered too. */
function allExamples(): GradscopeEvent[] {
  const events = exampleEvents();
  const gru = exampleEvent('measurement');
  const layer = gru.layers[1]!;
  Object.assign(layer, { layer: 'gru_1', kind: 'gru', gates: exampleGruGates() });
  return [...events, gru, exampleNonFiniteAlert()];
}

describe('encodeEvent / decodeEvent', () => {
  it('round-trips every field of every event type', () => {
    const events = allExamples();
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    for (const e of events) {
      const line = encodeEvent(e);
      expect(line).not.toContain('\n');
      expect(decodeEvent(line)).toEqual(e);
    }
  });

  it('round-trips NaN, Infinity and -Infinity in every number position that admits them', () => {
    const admitted: string[] = [];
    for (const original of allExamples()) {
      for (const path of numberLeaves(original)) {
        for (const value of [NaN, Infinity, -Infinity]) {
          const e = structuredClone(original);
          setAt(e, path, value);
          if (!checkEvent(e).ok) continue; // a count or a time: non-finite is an error there
          const back = decodeEvent(encodeEvent(e));
          expect(Object.is(getAt(back, path), value), `${e.type}.${path.join('.')} = ${value}`).toBe(true);
          expect(back).toEqual(e); // and nothing else changed
          if (Number.isNaN(value)) admitted.push(`${e.type}.${path.join('.')}`);
        }
      }
    }
    // Every measured quantity admits non-finite values, including inside the arrays…
    for (const p of [
      'measurement.layers.0.stepNorm.mean.3',
      'measurement.layers.1.logProduct.min.0',
      'measurement.layers.0.ftle.max.2',
      'measurement.layers.0.gradNorm.mean.6',
      'measurement.layers.0.beta.max',
      'measurement.layers.0.recurrentKernel.spectralRadius',
      'measurement.layers.0.gates.logCarousel.mean.5',
      'measurement.layers.0.gates.saturation.cell',
      'measurement.layers.1.gates.update.min.1',
      'measurement.layers.1.gates.saturation.candidate',
      'train-step.loss',
      'train-step.metrics.mae',
      'train-step.gradNormBefore',
      'train-step.gradNormAfter',
      'train-step.learningRate',
      'clip.threshold',
      'clip.normBefore',
      'clip.scale',
      'alert.value',
      'alert.threshold',
    ]) {
      expect(admitted, p).toContain(p);
    }
    // …while envelope fields, sizes, counts, durations and plain-JSON options never do.
    const refused = admitted.filter((p) =>
      /\.(version|seq|step|epoch|time|units|stateSize|steps|samples|sequenceLength|totalParams|durationMs|epochs|measurements|clips|alerts)$|\.options\./.test(
        p,
      ),
    );
    expect(refused).toEqual([]);
  });

  it('writes non-finite numbers as the strings "NaN", "Infinity", "-Infinity"', () => {
    const e = exampleEvent('train-step');
    Object.assign(e, { loss: NaN, gradNormBefore: Infinity, gradNormAfter: -Infinity });
    const line = encodeEvent(e);
    expect(line).toContain('"loss":"NaN"');
    expect(line).toContain('"gradNormBefore":"Infinity"');
    expect(line).toContain('"gradNormAfter":"-Infinity"');
    expect(JSON.stringify(JSON.parse(line))).toBe(line); // plain JSON any parser reads
  });

  it('keeps NaN inside measurement arrays', () => {
    const e = exampleEvent('measurement');
    const layer = e.layers[0]!;
    layer.stepNorm.mean[2] = NaN;
    layer.logProduct.max[5] = Infinity;
    layer.regime = 'non-finite';
    layer.diagnosis!.verdict = 'non-finite';
    layer.diagnosis!.gradRatio = NaN;
    const back = decodeEvent(encodeEvent(e));
    if (back.type !== 'measurement') throw new Error('type changed');
    expect(back.layers[0]!.diagnosis!.gradRatio).toBeNaN();
    expect(back.layers[0]!.stepNorm.mean[2]).toBeNaN();
    expect(back.layers[0]!.logProduct.max[5]).toBe(Infinity);
    expect(back.layers[0]!.stepNorm.mean[1]).toBe(layer.stepNorm.mean[1]);
  });

  it('leaves strings that read "NaN" as strings: the schema decides, not the text', () => {
    const e = exampleEvent('alert');
    Object.assign(e, { message: 'NaN', layer: 'Infinity' });
    const back = decodeEvent(encodeEvent(e));
    expect(back).toEqual(e);
    expect(typeof (back as typeof e).message).toBe('string');
  });

  it('rejects null in a number position (what plain JSON.stringify makes of NaN)', () => {
    const e = exampleEvent('measurement');
    e.layers[0]!.stepNorm.mean[2] = NaN;
    expect(() => decodeEvent(JSON.stringify(e))).toThrow('measurement.layers[0].stepNorm.mean[2]: expected a number, got null');
  });

  it('reports invalid JSON as a ProtocolError', () => {
    expect(() => decodeEvent('{"version":1,')).toThrow(/^event: invalid JSON \(/);
    expect(() => decodeEvent('')).toThrow(/^event: invalid JSON/);
  });

  it('keeps -0 as 0 and large or tiny numbers exactly', () => {
    const e = exampleEvent('train-step');
    Object.assign(e, { loss: 1e-300, gradNormBefore: 1.7976931348623157e308, gradNormAfter: -0 });
    const back = decodeEvent(encodeEvent(e)) as typeof e;
    expect(back.loss).toBe(1e-300);
    expect(back.gradNormBefore).toBe(1.7976931348623157e308);
    expect(back.gradNormAfter).toBe(0);
  });
});
