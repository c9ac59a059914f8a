/**
 * The logdir sink's read-back, on a real file: what it returns is exactly
 * the file's lines for the seqs asked for (compared with the file read
 * independently), read by byte offset rather than by scanning the file.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
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

describe('LogdirSink on a full disk', () => {
  const logs = tempLogdir();
  afterAll(() => logs.remove());

  it.skipIf(!existsSync('/dev/full'))('flushes without throwing, and its close says which file is incomplete and what it lacks', async () => {
    // The run's file is /dev/full: every write is refused with ENOSPC, as on a full disk.
    mkdirSync(join(logs.dir, 'full-run'));
    symlinkSync('/dev/full', join(logs.dir, 'full-run', 'events.jsonl'));
    const sink = await LogdirSink.open(logs.dir, 'full-run');
    const base = exampleEvent('train-step');
    for (let seq = 0; seq < 3; seq++) sink.write({ ...base, runId: 'full-run', seq, step: seq, time: 1 });
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: unknown) => void warned.push(String(m));
    try {
      await sink.flush(); // the writer keeps the bytes for a retry; it warns at its first failure (its timer, not here)
      expect(sink.file).toBe(join(logs.dir, 'full-run', 'events.jsonl'));
      await expect(sink.close()).rejects.toThrow(
        new RegExp(`^the run's log ${sink.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is incomplete: its last \\d+ bytes of events, the run's end among them, could not be written \\(ENOSPC`),
      );
      expect(warned).toEqual([]);
    } finally {
      console.warn = warn;
    }
  });
});
