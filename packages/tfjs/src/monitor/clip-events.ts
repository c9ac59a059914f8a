import type { ClipReport } from '../with-clipping.js';
import type { EventDraft } from './event-stream.js';

/** A clip event as the run drafts it (the stream adds the envelope). */
export type ClipDraft = Extract<EventDraft, { type: 'clip' }>;

/**
 * The clip events of one optimizer step. A global clip (globalClipNorm,
 * autoClip) scales every gradient by one factor, so it is one event naming
 * all the variables; clipNorm and clipValue act per variable, so each
 * clipped variable is its own event. clipValue clamps entries instead of
 * scaling, so its factor is the fraction of entries clamped, not a scale.
 * A step that clipped nothing (or an optimizer without clipping) has none.
 */
export function clipEvents(report: ClipReport): ClipDraft[] {
  if (!report.mode || report.clipped.length === 0) return [];
  const base = { type: 'clip' as const, mode: report.mode, threshold: report.threshold! };
  if (report.mode === 'globalClipNorm' || report.mode === 'autoClip') {
    return [{ ...base, variables: report.clipped.map((c) => c.variable), normBefore: report.globalNormBefore, scale: report.clipped[0]!.factor, fractionClipped: null }];
  }
  const byValue = report.mode === 'clipValue';
  return report.clipped.map((c) => ({
    ...base,
    variables: [c.variable],
    normBefore: c.normBefore,
    scale: byValue ? null : c.factor,
    fractionClipped: byValue ? c.factor : null,
  }));
}

