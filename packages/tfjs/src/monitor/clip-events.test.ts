import { describe, expect, it } from 'vitest';
import type { ClipReport } from '../with-clipping.js';
import { clipEvents } from './clip-events.js';

/** A step's report as an optimizer would send it; two variables, of which `clipped` were clipped. */
function report(mode: ClipReport['mode'], clipped: ClipReport['clipped'], threshold: number | null = 1): ClipReport {
  return { iteration: 3, norms: { a: 3, b: 4 }, globalNormBefore: 5, globalNormAfter: 1, mode, threshold, clipped, learningRate: 0.1 };
}

describe('clipEvents', () => {
  it('has none for an optimizer without clipping, or a step that clipped nothing', () => {
    expect(clipEvents(report(null, [], null))).toEqual([]);
    expect(clipEvents(report('globalClipNorm', []))).toEqual([]);
    expect(clipEvents(report('clipValue', []))).toEqual([]);
  });

  it('globalClipNorm: one event naming every clipped variable, with the global norm and the one scale', () => {
    const r = report('globalClipNorm', [
      { variable: 'a', normBefore: 3, factor: 0.2 },
      { variable: 'b', normBefore: 4, factor: 0.2 },
    ]);
    expect(clipEvents(r)).toEqual([{ type: 'clip', mode: 'globalClipNorm', threshold: 1, variables: ['a', 'b'], normBefore: 5, scale: 0.2, fractionClipped: null }]);
  });

  it('autoClip is a global clip too, at the threshold in force that step', () => {
    const r = report('autoClip', [{ variable: 'a', normBefore: 3, factor: 0.5 }], 2.5);
    expect(clipEvents(r)).toEqual([{ type: 'clip', mode: 'autoClip', threshold: 2.5, variables: ['a'], normBefore: 5, scale: 0.5, fractionClipped: null }]);
  });

  it('clipNorm: one event per clipped variable, with its own norm and scale', () => {
    const r = report('clipNorm', [
      { variable: 'a', normBefore: 3, factor: 1 / 3 },
      { variable: 'b', normBefore: 4, factor: 0.25 },
    ]);
    expect(clipEvents(r)).toEqual([
      { type: 'clip', mode: 'clipNorm', threshold: 1, variables: ['a'], normBefore: 3, scale: 1 / 3, fractionClipped: null },
      { type: 'clip', mode: 'clipNorm', threshold: 1, variables: ['b'], normBefore: 4, scale: 0.25, fractionClipped: null },
    ]);
  });

  it('clipValue: per variable, and its factor is the fraction of entries clamped, not a scale', () => {
    const r = report('clipValue', [{ variable: 'b', normBefore: 4, factor: 0.75 }], 0.5);
    expect(clipEvents(r)).toEqual([{ type: 'clip', mode: 'clipValue', threshold: 0.5, variables: ['b'], normBefore: 4, scale: null, fractionClipped: 0.75 }]);
  });
});
