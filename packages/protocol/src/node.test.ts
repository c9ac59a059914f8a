import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEvent } from './encode.js';
import { exampleEvents, exampleNonFiniteAlert } from './examples.js';
import { iterateRunEvents, readRunEvents, repairRunLog, RunLogWriter, runDir, runEventsPath } from './node.js';
import { EventSequencer } from './sequencer.js';

let logdir: string;
beforeEach(() => {
  logdir = mkdtempSync(join(tmpdir(), 'gradscope-protocol-'));
});
afterEach(() => {
  rmSync(logdir, { recursive: true, force: true });
});

const events = exampleEvents();
const runId = events[0]!.runId;
const jsonl = (evs = events) => evs.map((e) => encodeEvent(e) + '\n').join('');

function writeRun(text: string): string {
  const file = runEventsPath(logdir, runId);
  mkdirSync(join(logdir, runId), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('runEventsPath', () => {
  it('is <logdir>/<runId>/events.jsonl, absolute', () => {
    expect(runEventsPath(logdir, runId)).toBe(join(logdir, runId, 'events.jsonl'));
    expect(runDir('relative/dir', 'r1')).toBe(join(process.cwd(), 'relative/dir', 'r1'));
  });

  it.each(['../x', 'a/b', '', '..', 'x'.repeat(129), 'a\0b', '/abs'])('refuses %j', (id) => {
    expect(() => runEventsPath(logdir, id)).toThrow(/^runId: /);
  });
});

describe('readRunEvents (real files)', () => {
  it('reads every event of a clean file', async () => {
    const file = writeRun(jsonl());
    expect(await readRunEvents(file)).toEqual({ events, errors: [], truncatedTail: false });
  });

  it('tolerates a truncated tail and reports a corrupt middle line', async () => {
    const lines = events.map(encodeEvent);
    const text = [lines[0], lines[1], '{"version":1,"type":"clip"', lines[3]].map((l) => l + '\n').join('') + lines[4]!.slice(0, 50);
    const parsed = await readRunEvents(writeRun(text));
    expect(parsed.events).toEqual([events[0], events[1], events[3]]);
    expect(parsed.errors).toEqual([{ line: 3, message: expect.stringMatching(/^event: invalid JSON/) }]);
    expect(parsed.truncatedTail).toBe(true);
  });

  it('streams large files, multi-byte characters across chunk boundaries included', async () => {
    const seq = new EventSequencer(runId);
    const many = Array.from({ length: 3000 }, (_, i) =>
      seq.stamp({ type: 'alert', step: i, epoch: 0, kind: 'grad-spike', severity: 'info', message: `spïke ✓ ${'é'.repeat(i % 300)}`, value: i % 7 === 0 ? NaN : i }),
    );
    const file = writeRun(jsonl(many));
    expect(statSync(file).size).toBeGreaterThan(1 << 20); // more than one 1 MiB chunk
    const parsed = await readRunEvents(file);
    expect(parsed.errors).toEqual([]);
    expect(parsed.events).toEqual(many);
    let n = 0;
    const it = iterateRunEvents(file);
    for (let r = await it.next(); !r.done; r = await it.next()) n++;
    expect(n).toBe(3000);
  });

  it('rejects a missing file', async () => {
    await expect(readRunEvents(join(logdir, 'nope', 'events.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});

describe('repairRunLog', () => {
  it('leaves a clean, empty or missing file alone', () => {
    const file = writeRun(jsonl());
    expect(repairRunLog(file)).toEqual({ action: 'none', removedBytes: 0 });
    writeFileSync(file, '');
    expect(repairRunLog(file)).toEqual({ action: 'none', removedBytes: 0 });
    expect(repairRunLog(join(logdir, 'missing.jsonl'))).toEqual({ action: 'none', removedBytes: 0 });
  });

  it('cuts off a torn last line', () => {
    const torn = encodeEvent(events[5]!).slice(0, 30);
    const file = writeRun(jsonl(events.slice(0, 5)) + torn);
    expect(repairRunLog(file)).toEqual({ action: 'tail-removed', removedBytes: Buffer.byteLength(torn) });
    expect(readFileSync(file, 'utf8')).toBe(jsonl(events.slice(0, 5)));
  });

  it('cuts a file that is one torn line down to nothing, even a long one', () => {
    const file = writeRun('{"version":1,"message":"' + 'x'.repeat(200_000));
    expect(repairRunLog(file).action).toBe('tail-removed');
    expect(statSync(file).size).toBe(0);
  });

  it('adds the newline a complete last line lacks', () => {
    const file = writeRun(jsonl().slice(0, -1));
    expect(repairRunLog(file)).toEqual({ action: 'newline-added', removedBytes: 0 });
    expect(readFileSync(file, 'utf8')).toBe(jsonl());
  });
});

describe('RunLogWriter (real files)', () => {
  it('creates the run folder and appends one line per event', () => {
    const writer = RunLogWriter.open(logdir, runId, { flushIntervalMs: 0 });
    for (const e of events) writer.append(e);
    expect(readFileSync(writer.file, 'utf8')).toBe(jsonl()); // flushIntervalMs 0: written at once
    writer.close();
    expect(writer.closed).toBe(true);
    expect(() => writer.append(events[0]!)).toThrow(/append after close/);
    writer.close(); // idempotent
  });

  it('buffers, then flushes on flush(), on the timer and on close()', async () => {
    const writer = RunLogWriter.open(logdir, runId, { flushIntervalMs: 50 });
    writer.append(events[0]!);
    expect(readFileSync(writer.file, 'utf8')).toBe('');
    expect(writer.pendingBytes).toBe(Buffer.byteLength(encodeEvent(events[0]!) + '\n'));
    writer.flush();
    expect(readFileSync(writer.file, 'utf8')).toBe(jsonl(events.slice(0, 1)));
    writer.append(events[1]!);
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(writer.file, 'utf8')).toBe(jsonl(events.slice(0, 2)));
    for (const e of events.slice(2)) writer.append(e);
    writer.close();
    expect(readFileSync(writer.file, 'utf8')).toBe(jsonl());
  });

  it('snapshots events when appended, NaN included', async () => {
    const writer = RunLogWriter.open(logdir, 'nan-run');
    const alert = { ...exampleNonFiniteAlert(), runId: 'nan-run' };
    writer.append(alert);
    alert.message = 'changed after append';
    writer.close();
    const parsed = await readRunEvents(writer.file);
    expect(parsed.events).toEqual([{ ...exampleNonFiniteAlert(), runId: 'nan-run' }]);
  });

  it('reopening a crashed run repairs the torn tail and continues it', async () => {
    const file = writeRun(jsonl(events.slice(0, 3)) + encodeEvent(events[3]!).slice(0, 25));
    const writer = RunLogWriter.open(logdir, runId);
    expect(writer.repair.action).toBe('tail-removed');
    for (const e of events.slice(3)) writer.append(e);
    writer.close();
    expect(await readRunEvents(file)).toEqual({ events, errors: [], truncatedTail: false });
  });

  it('rejects unknown and ill-typed options by name, and invalid run ids', () => {
    expect(() => RunLogWriter.open(logdir, 'r', { flushMs: 5 } as never)).toThrow('RunLogWriter: unknown option "flushMs"');
    expect(() => RunLogWriter.open(logdir, 'r', { flushIntervalMs: -1 })).toThrow('option "flushIntervalMs" must be a finite number ≥ 0, got -1');
    expect(() => RunLogWriter.open(logdir, '../escape')).toThrow(/^runId: /);
    expect(existsSync(join(logdir, '..', 'escape'))).toBe(false);
    expect(readdirSync(logdir)).toEqual([]);
  });

  it('fails at open when the logdir cannot be created', () => {
    const blocker = join(logdir, 'a-file');
    writeFileSync(blocker, 'x');
    expect(() => RunLogWriter.open(blocker, 'r')).toThrow(/EEXIST|ENOTDIR/);
  });

  it.skipIf(!existsSync('/dev/full'))('survives a full disk: reports once, keeps bytes for retry, drops beyond the buffer limit', () => {
    mkdirSync(join(logdir, 'full'));
    symlinkSync('/dev/full', join(logdir, 'full', 'events.jsonl'));
    const errors: Error[] = [];
    const line = encodeEvent({ ...events[1]!, runId: 'full' }) + '\n';
    const writer = RunLogWriter.open(logdir, 'full', { flushIntervalMs: 0, maxBufferedBytes: 3 * Buffer.byteLength(line), onError: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) writer.append({ ...events[1]!, runId: 'full' }); // never throws
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/ENOSPC/);
    expect(writer.pendingBytes).toBe(3 * Buffer.byteLength(line));
    expect(writer.dropped).toBe(2);
    expect(() => writer.flush()).toThrow(/ENOSPC/);
    expect(() => writer.close()).toThrow(/ENOSPC/);
    expect(writer.closed).toBe(true);
  });

  it('says once, through onError, that its file was deleted while it wrote (the run folder removed by hand)', () => {
    const errors: Error[] = [];
    const writer = RunLogWriter.open(logdir, 'deleted', { flushIntervalMs: 0, onError: (e) => errors.push(e) });
    writer.append({ ...events[1]!, runId: 'deleted' });
    expect(errors).toEqual([]);
    rmSync(join(logdir, 'deleted'), { recursive: true });
    for (let i = 0; i < 3; i++) writer.append({ ...events[1]!, runId: 'deleted' }); // each flushes (flushIntervalMs: 0)
    expect(errors.map((e) => e.message)).toEqual([
      "the file was deleted while the run was writing it (its run folder or the logdir removed?); the run's later events are not kept",
    ]);
    writer.close();
  });

  it('appended bytes after a real interruption stay line-aligned', async () => {
    // A writer that died mid-line, then a new writer: no glued lines, one lost event at most.
    const file = writeRun(jsonl(events.slice(0, 2)));
    appendFileSync(file, encodeEvent(events[2]!).slice(0, 100));
    const writer = RunLogWriter.open(logdir, runId, { flushIntervalMs: 0 });
    for (const e of events.slice(2)) writer.append(e);
    writer.close();
    const parsed = await readRunEvents(file);
    expect(parsed.errors).toEqual([]);
    expect(parsed.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
