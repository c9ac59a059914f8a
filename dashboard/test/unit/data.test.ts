import { decodeEvent, encodeEvent, validateEvent } from '@gradscope/protocol';
import { describe, expect, it } from 'vitest';
import { binColumns, binSizeFor, binValue, columnRange, columnsFor } from '../../src/data/binning.js';
import { DivergingScale, NAN_RGB, rampRgb, snapHalfRange } from '../../src/data/colour-scale.js';
import { fmt, ln, maxAbsFinite, plotValue, positiveValue } from '../../src/data/numbers.js';
import { RunStore } from '../../src/data/run-store.js';
import { syntheticRun } from '../helpers/synthetic-run.js';

const unpack = (p: number) => [p & 255, (p >>> 8) & 255, (p >>> 16) & 255, p >>> 24];

describe('binning', () => {
  it('doubles the bin size only when the columns outgrow the width', () => {
    expect(binSizeFor(0, 100)).toBe(1);
    expect(binSizeFor(100, 100)).toBe(1);
    expect(binSizeFor(101, 100)).toBe(2);
    expect(binSizeFor(10_000, 512)).toBe(32);
    expect(columnsFor(10_000, 32)).toBe(313);
    expect(columnRange(3, 4, 14)).toEqual([12, 13]);
    expect(() => binSizeFor(5, 0)).toThrow(/width must be ≥ 1, got 0/);
  });
  it('averages finite members but never averages a non-finite one away', () => {
    expect(binValue([1, 3])).toBe(2);
    expect(binValue([1, Infinity])).toBe(Infinity);
    expect(binValue([-Infinity, Infinity, NaN])).toBeNaN();
    expect(binValue([])).toBeNaN();
  });
  it('bins columns row by row, with a partial last bin', () => {
    const cols = [[1, 10], [3, 20], [5, NaN]].map((c) => Float64Array.from(c));
    const out = binColumns(cols, 2);
    expect(out.map((c) => Array.from(c))).toEqual([[2, 15], [5, NaN]]);
  });
});

describe('colour scale', () => {
  const s = new DivergingScale(2);
  it('is white at ‖J‖ = 1 (ln = 0), blue below, red above, symmetric', () => {
    const [r, g, b] = unpack(s.packed(0));
    expect(Math.min(r!, g!, b!)).toBeGreaterThan(235);
    const [rb, , bb] = unpack(s.packed(Math.log(0.5)));
    expect(bb!).toBeGreaterThan(rb!);
    const [rr, , br] = unpack(s.packed(Math.log(2)));
    expect(rr!).toBeGreaterThan(br!);
    expect(s.position(-1) + s.position(1)).toBeCloseTo(1, 12);
    expect(s.position(100)).toBe(1);
  });
  it('gives NaN and ±∞ colours of their own, opaque', () => {
    expect(unpack(s.packed(NaN)).slice(0, 3)).toEqual([...NAN_RGB]);
    expect(s.packed(Infinity)).not.toBe(s.packed(100));
    expect(s.packed(-Infinity)).not.toBe(s.packed(-100));
    expect(unpack(s.packed(NaN))[3]).toBe(255);
    expect(s.css(0)).toMatch(/^rgb\(2\d\d,2\d\d,2\d\d\)$/);
    expect(rampRgb(0)).toEqual([5, 48, 97]);
  });
  it('snaps the range to powers of two so a growing range rarely repaints', () => {
    expect(snapHalfRange(0.1)).toBe(0.25);
    expect(snapHalfRange(3)).toBe(4);
    expect(snapHalfRange(NaN)).toBe(0.25);
    expect(() => new DivergingScale(0)).toThrow(/positive finite/);
  });
});

describe('numbers', () => {
  it('turns non-finite values into gaps for lines, and keeps their meaning in text', () => {
    expect(plotValue(NaN)).toBeNull();
    expect(plotValue(-Infinity)).toBeNull();
    expect(plotValue(2)).toBe(2);
    expect(positiveValue(0)).toBeNull();
    expect(ln(0)).toBe(-Infinity);
    expect(ln(-1)).toBeNaN();
    expect(fmt(NaN)).toBe('NaN');
    expect(fmt(Infinity)).toBe('+∞');
    expect(fmt(810.93)).toBe('811');
    expect(maxAbsFinite([NaN, -3, Infinity, 2])).toBe(3);
  });
});

describe('run store: replay merge', () => {
  const events = syntheticRun({ steps: 50, T: 8, every: 5, clipEvery: 7 });
  it('dedupes by seq and keeps seq order when a replay arrives after live events', () => {
    const store = new RunStore('synthetic-run');
    const live = events.slice(30);
    store.merge(live);
    expect(store.revision).toBe(0);
    const r = store.merge(events); // the replay overlaps everything live already delivered
    expect(r.duplicates).toBe(live.length);
    expect(r.added).toBe(30);
    expect(r.reordered).toBe(true);
    expect(store.revision).toBe(1);
    const seqs = store.trainSteps.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(store.trainSteps.length).toBe(50);
    expect(store.lastSeq).toBe(events.length - 1);
    expect(store.end?.status).toBe('completed');
  });
  it('replay then live appends without a rebuild, and ignores other runs', () => {
    const store = new RunStore('synthetic-run');
    store.merge(events.slice(0, 40));
    const v = store.version;
    store.merge([...events.slice(35, 60), { ...events[45]!, runId: 'other', seq: 10_000 }]);
    expect(store.revision).toBe(0);
    expect(store.version).toBe(v + 1);
    expect(store.lastSeq).toBe(59);
    expect(store.layerNames()).toEqual(['lstm_1']);
    expect(store.measurementIndexAt(12)).toBe(2);
    expect(store.measurementIndexAt(-1)).toBe(-1);
    expect(store.clipThreshold()).toBe(1);
  });
  it('keeps NaN that arrived as the wire string "NaN" through decodeEvent', () => {
    const [m] = syntheticRun({ steps: 1, T: 4, every: 1, nanAtStep: 0 }).filter((e) => e.type === 'measurement');
    const wire = encodeEvent(m!);
    expect(wire).toContain('"NaN"');
    const store = new RunStore('synthetic-run');
    store.merge([decodeEvent(wire)]);
    expect(store.layerAt(0, 'lstm_1')!.stepNorm.mean[0]).toBeNaN();
    expect(store.layerAt(0, 'missing')).toBeNull();
    expect(() => validateEvent(JSON.parse(wire))).not.toThrow();
  });
});
