import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../run.mjs', import.meta.url));

/** Why a benchmark cannot be pinned to one core here, or null when it can (Linux's taskset). */
export function oneCoreUnavailable() {
  const probe = spawnSync('taskset', ['-c', '0', process.execPath, '-e', ''], { stdio: 'ignore' });
  if (probe.error) return `taskset is not available (${probe.error.code ?? probe.error.message})`;
  if (probe.status !== 0) return `taskset -c 0 failed (exit ${probe.status})`;
  return null;
}

/**
 * Runs benchmark `id` again in a child process pinned to CPU 0
 * (`taskset -c 0 node run.mjs --only id --one-core --raw file`), so that the
 * process and everything it starts share one core (a measurement worker
 * declines to start there). `env`: variables added to the child's environment. Its log lines are
 * passed to `log`, indented; returns the child's raw result of that
 * benchmark, or { unavailable: reason }.
 */
export async function runOnOneCore(id, { smoke, env = {} }, log) {
  const unavailable = oneCoreUnavailable();
  if (unavailable) return { unavailable };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-one-core-'));
  const raw = path.join(dir, 'raw.json');
  try {
    const args = ['-c', '0', process.execPath, RUN, '--only', id, '--one-core', '--raw', raw, ...(smoke ? ['--smoke'] : [])];
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const relay = (stream, prefix) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) log(`${prefix}${line}`);
      });
      stream.on('end', () => rest && log(`${prefix}${rest}`));
    };
    relay(child.stdout, '  [1 core] ');
    relay(child.stderr, '  [1 core, stderr] ');
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) return { unavailable: `the pinned child process failed (exit ${code}; its output is above)` };
    return JSON.parse(readFileSync(raw, 'utf8'))[id];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
