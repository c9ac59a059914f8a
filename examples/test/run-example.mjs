import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvent, validateEvent } from '@gradscope/protocol';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `examples/<script>` as a user would (from the repository root, in its
 * own process) with a fresh logdir and no server, and returns its output and
 * every run it wrote, each as validated events keyed by run name.
 */
export async function runExample(script, flags = []) {
  const logdir = mkdtempSync(join(tmpdir(), 'gradscope-example-'));
  try {
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, [join('examples', script), '--no-serve', '--logdir', logdir, ...flags], { cwd: root, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${script} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const runs = new Map();
    for (const runId of readdirSync(logdir)) {
      const events = readFileSync(join(logdir, runId, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => validateEvent(decodeEvent(line)));
      runs.set(events[0].name, events);
    }
    return { output, runs };
  } finally {
    rmSync(logdir, { recursive: true, force: true });
  }
}

/** A run is complete when it starts with run-start, ends with run-end, and seq has no gaps. */
export function isComplete(events) {
  return events[0]?.type === 'run-start' && events.at(-1)?.type === 'run-end' && events.every((e, i) => e.seq === i);
}

export const measurements = (events) => events.filter((e) => e.type === 'measurement');
export const lastLayer = (events) => measurements(events).at(-1).layers[0];
export const gradRatio = (m) => m.gradNorm.mean[0] / m.gradNorm.mean[m.steps];
