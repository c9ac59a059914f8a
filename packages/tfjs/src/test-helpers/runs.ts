import { decodeEvent, validateEvent, type GradscopeEvent } from '@gradscope/protocol';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';

/** A fresh temporary logdir; remove() deletes it. */
export function tempLogdir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * For a test file: a function that makes a temporary logdir, every one of
 * them removed after each test.
 */
export function tempLogdirsPerTest(): () => string {
  let made: (() => void)[] = [];
  afterEach(() => {
    made.forEach((remove) => remove());
    made = [];
  });
  return () => {
    const d = tempLogdir();
    made.push(d.remove);
    return d.dir;
  };
}

/** Every run in a logdir, each as its validated events in file order. */
export function readRuns(logdir: string): Map<string, GradscopeEvent[]> {
  const runs = new Map<string, GradscopeEvent[]>();
  for (const runId of readdirSync(logdir)) {
    const text = readFileSync(join(logdir, runId, 'events.jsonl'), 'utf8');
    const lines = text.split('\n').filter((l) => l.length > 0);
    runs.set(runId, lines.map((line) => validateEvent(decodeEvent(line))));
  }
  return runs;
}

export const ofType = <T extends GradscopeEvent['type']>(events: GradscopeEvent[], type: T) =>
  events.filter((e): e is Extract<GradscopeEvent, { type: T }> => e.type === type);

/** The one run in `dir`, as its events; also whether its writer lock is gone, and the run folder's files. */
export function onlyRun(dir: string): { events: GradscopeEvent[]; unlocked: boolean; files: string[] } {
  const runs = [...readRuns(dir)];
  expect(runs.length).toBe(1);
  const [runId, events] = runs[0]!;
  return { events, unlocked: !existsSync(join(dir, runId, 'writer.lock')), files: readdirSync(join(dir, runId)) };
}
