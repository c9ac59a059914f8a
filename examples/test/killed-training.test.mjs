import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const serverPkg = createRequire(import.meta.url).resolve('@gradscope/server/package.json');
const cli = join(dirname(serverPkg), 'bin', 'gradscope.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];
const dirs = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a real training process killed mid-run', () => {
  it('leaves its run readable on the server and marked incomplete', async () => {
    const serverDir = mkdtempSync(join(tmpdir(), 'gradscope-server-'));
    const trainDir = mkdtempSync(join(tmpdir(), 'gradscope-train-'));
    dirs.push(serverDir, trainDir);
    const port = await freePort();
    const server = spawn(process.execPath, [cli, 'serve', '--logdir', serverDir, '--port', String(port)], { stdio: 'ignore' });
    children.push(server);
    const api = `http://127.0.0.1:${port}/api`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${api}/health`).then((r) => r.ok, () => false)) break;
      await sleep(100);
    }
    // The custom-loop example, publishing over ws, as a user would run it.
    const training = spawn(process.execPath, ['examples/custom-loop/train.mjs', '--iterations', '1000', '--logdir', trainDir, '--url', `ws://127.0.0.1:${port}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let trainOutput = '';
    training.stdout.on('data', (d) => (trainOutput += d));
    training.stderr.on('data', (d) => (trainOutput += d));
    children.push(training);
    // Wait until the server holds a few training steps of the run, then kill it.
    let run = null;
    for (let i = 0; i < 300 && !(run && run.step >= 3); i++) {
      const { runs } = await fetch(`${api}/runs`).then((r) => r.json());
      run = runs[0] ?? null;
      await sleep(100);
    }
    expect(run?.status, trainOutput).toBe('live');
    training.kill('SIGKILL');
    await new Promise((r) => training.once('exit', r));
    // The publisher is gone without a run-end: the server says so.
    let after = null;
    for (let i = 0; i < 100; i++) {
      after = await fetch(`${api}/runs/${run.runId}`).then((r) => r.json());
      if (after.status !== 'live') break;
      await sleep(100);
    }
    expect(after.status).toBe('incomplete');
    // Every stored event is readable, in order, without gaps, and there is no run-end.
    const { events } = await fetch(`${api}/runs/${run.runId}/events?since=-1&limit=10000`).then((r) => r.json());
    expect(events.length).toBeGreaterThan(3);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events[0].type).toBe('run-start');
    expect(events.some((e) => e.type === 'run-end')).toBe(false);
  });
});
