// `gradscope export RUN | head`: the reader closes the pipe long before the
// export is written. The command must end quietly (no EPIPE stack trace).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lines, makeRun } from './test-helpers/events.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'gradscope.js');
const logdir = mkdtempSync(join(tmpdir(), 'gradscope-pipe-'));
afterAll(() => rmSync(logdir, { recursive: true, force: true }));

/** Runs `node bin ARGS | head -c 100` in a shell; the exit status of the export side and its stderr. */
function exportIntoHead(args: string[]): Promise<{ status: string; stderr: string }> {
  return new Promise((resolve) => {
    const quoted = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `${quoted} 2>"$0" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`, join(logdir, 'stderr')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => {
      resolve({ status: out.trim(), stderr: readFileSync(join(logdir, 'stderr'), 'utf8') });
    });
  });
}

describe('gradscope export into a closed pipe', () => {
  // 20,000 events: megabytes of JSON and CSV, far beyond a pipe's 64 KiB buffer.
  mkdirSync(join(logdir, 'big'), { recursive: true });
  writeFileSync(join(logdir, 'big', 'events.jsonl'), lines(makeRun('big', 20_000)).join('\n') + '\n');

  it.each(['json', 'csv'])('--format %s | head ends quietly with status 0', async (format) => {
    const { status, stderr } = await exportIntoHead(['export', 'big', '--format', format, '--logdir', logdir]);
    expect(stderr).toBe('');
    expect(status).toBe('0');
  });
});
