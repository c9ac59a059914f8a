import { describe, expect, it } from 'vitest';
import { FILE_BACKED, PublishSpool, utf8Length } from './publish-spool.js';
import { SeqRanges } from './seq-ranges.js';

const ev = (seq: number, line = `{"seq":${seq}}`) => ({ seq, line, bytes: utf8Length(line) });

describe('PublishSpool', () => {
  it('keeps run-start and the newest events within its bounds', () => {
    const spool = new PublishSpool({ maxEvents: 3, maxBytes: 1e9, keepAcknowledged: true });
    for (let s = 0; s < 10; s++) spool.push(ev(s));
    expect(spool.from(0, 100, 1e9).map((e) => e.seq)).toEqual([0]); // 1–6 evicted: run-start alone
    expect(spool.from(7, 100, 1e9).map((e) => e.seq)).toEqual([7, 8, 9]);
    expect(spool.from(3, 100, 1e9)).toEqual([]);
    expect(spool.firstAfterStart).toBe(7);
    spool.acknowledged(9); // memory is the only copy: acknowledged events stay
    expect(spool.from(8, 100, 1e9).map((e) => e.seq)).toEqual([8, 9]);
  });

  it('file-backed, forgets what the server acknowledged (the file has it)', () => {
    const spool = new PublishSpool(FILE_BACKED);
    for (let s = 0; s < 5; s++) spool.push(ev(s));
    spool.acknowledged(2);
    expect(spool.from(0, 100, 1e9)).toEqual([]);
    expect(spool.from(3, 100, 1e9).map((e) => e.seq)).toEqual([3, 4]);
  });

  it('batches by bytes, at least one event', () => {
    const spool = new PublishSpool();
    for (let s = 1; s < 5; s++) spool.push(ev(s, 'x'.repeat(100)));
    expect(spool.from(1, 100, 250).map((e) => e.seq)).toEqual([1, 2]);
    expect(spool.from(1, 100, 10).map((e) => e.seq)).toEqual([1]);
  });

  it('measures UTF-8 bytes', () => {
    for (const s of ['abc', 'λ₁ > 0', '✓', '😀x', '\u00e9']) expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});

describe('SeqRanges', () => {
  it('counts each seq once however often it is added', () => {
    const r = new SeqRanges();
    expect(r.add(5, 9)).toBe(5);
    expect(r.add(7, 12)).toBe(3);
    expect(r.add(0, 20)).toBe(21 - 8);
    expect(r.add(3, 4)).toBe(0);
    expect(r.size).toBe(21);
    expect(r.covers(0, 20)).toBe(true);
    expect(r.covers(20, 21)).toBe(false);
    expect(r.covers(30, 29)).toBe(true);
  });
});
