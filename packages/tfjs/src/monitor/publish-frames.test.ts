import { describe, expect, it } from 'vitest';
import { eventsFrame, planFrames } from './publish-frames.js';
import { utf8Length } from './publish-spool.js';

const ev = (seq: number, size: number) => {
  const line = `{"seq":${seq},"x":"${'é'.repeat(size)}"}`;
  return { seq, line, bytes: utf8Length(line) };
};

describe('planFrames', () => {
  it('keeps every frame within the limit in bytes, in order, and sets apart what no frame can hold', () => {
    const events = [ev(1, 100), ev(2, 100), ev(3, 100), ev(4, 5000), ev(5, 100)];
    const limit = 600;
    const pieces = planFrames(events, limit);
    expect(pieces.map((p) => ('frame' in p ? p.frame.map((e) => e.seq) : `oversize ${p.oversize.seq}`))).toEqual([[1, 2], [3], 'oversize 4', [5]]);
    for (const p of pieces) if ('frame' in p) expect(Buffer.byteLength(eventsFrame(p.frame, true))).toBeLessThanOrEqual(limit);
  });

  it('the frame is the protocol message', () => {
    const e = ev(7, 1);
    expect(JSON.parse(eventsFrame([e], false))).toEqual({ type: 'events', events: [JSON.parse(e.line)] });
    expect(JSON.parse(eventsFrame([e], true)).gap).toBe(true);
  });
});
