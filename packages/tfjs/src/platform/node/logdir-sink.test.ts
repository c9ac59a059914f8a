/**
 * The logdir sink's read-back, on a real file: what it returns is exactly
 * the file's lines for the seqs asked for (compared with the file read
 * independently), read by byte offset rather than by scanning the file.
 */
import { readFileSync } from 'node:fs';
import { exampleEvent, type GradscopeEvent } from '@gradscope/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { tempLogdir } from '../../test-helpers/runs.js';
import { LogdirSink } from './logdir-sink.js';

describe('LogdirSink.readBack', () => {
  const logs = tempLogdir();
  afterAll(() => logs.remove());

  it('returns the file lines of the seqs asked for, flushed first, bounded by count and bytes', async () => {
    const sink = await LogdirSink.open(logs.dir, 'read-back-run');
    const runId = 'read-back-run';
    const base = exampleEvent('train-step');
    for (let seq = 0; seq < 20_000; seq++) {
      // Some lines with multi-byte characters, so offsets are bytes, not characters.
      const e: GradscopeEvent = seq % 1000 === 7 ? { ...exampleEvent('alert'), runId, seq, step: seq, epoch: 0, time: 1, message: 'λ₁ > 0 ✓' } : { ...base, runId, seq, step: seq, time: 1 };
      sink.write(e);
    }
    // Nothing flushed yet (the writer flushes every second): readBack must flush first.
    const got = await sink.readBack(15_000, 500, 1024 * 1024);
    const lines = readFileSync(sink.file, 'utf8').trim().split('\n');
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 15_000 + i));
    expect(got.map((e) => e.line)).toEqual(lines.slice(15_000, 15_500));
    expect(got.every((e) => e.bytes === Buffer.byteLength(e.line))).toBe(true);
    expect((await sink.readBack(19_990, 500, 1024 * 1024)).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 19_990 + i));
    const small = await sink.readBack(0, 500, 2000);
    expect(small.length).toBeGreaterThan(0);
    expect(small.reduce((n, e) => n + e.bytes + 1, 0) - small.at(-1)!.bytes - 1).toBeLessThanOrEqual(2000);
    expect(await sink.readBack(20_000, 10, 1024)).toEqual([]);
    await sink.close();
    // Still readable after close (the publisher may be finishing its resend).
    expect((await sink.readBack(7, 1, 1024))[0]!.line).toBe(lines[7]);
  });
});
