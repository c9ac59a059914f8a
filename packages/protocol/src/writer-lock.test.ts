import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEventsPath } from './node-reader.js';
import { RunLogWriter } from './node-writer.js';
import { liveWriter, writerLockPath } from './writer-lock.js';

let logdir: string;
beforeEach(() => {
  logdir = mkdtempSync(join(tmpdir(), 'gradscope-lock-'));
});
afterEach(() => rmSync(logdir, { recursive: true, force: true }));

describe('writer lock', () => {
  it('is held by an open RunLogWriter and released on close', () => {
    const file = runEventsPath(logdir, 'r');
    expect(liveWriter(file)).toBeNull();
    const w = RunLogWriter.open(logdir, 'r');
    expect(liveWriter(file)).toBe(process.pid);
    w.close();
    expect(existsSync(writerLockPath(file))).toBe(false);
    expect(liveWriter(file)).toBeNull();
  });

  it('ignores a lock left by a dead process or written on another host', () => {
    const file = runEventsPath(logdir, 'r');
    RunLogWriter.open(logdir, 'r').close();
    // A pid that existed and is gone: a finished child's.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(writerLockPath(file), JSON.stringify({ pid: dead, host: hostname() }));
    expect(liveWriter(file)).toBeNull();
    writeFileSync(writerLockPath(file), JSON.stringify({ pid: process.pid, host: `not-${hostname()}` }));
    expect(liveWriter(file)).toBeNull();
    writeFileSync(writerLockPath(file), 'garbage');
    expect(liveWriter(file)).toBeNull();
  });
});
