/**
 * Faults: the training process killed mid-run; the server process killed
 * (SIGKILL, via the CLI) with its store intact on restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type GradscopeServer } from './index.js';
import { publish, range, wsUrl } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';
import { bin, freePort, killChildren, serveChild } from './test-helpers/serve-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  killChildren();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gradscope-faults-'));
  dirs.push(d);
  return d;
};

describe('faults', () => {
  let server: GradscopeServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('a training process killed mid-run leaves a readable run marked incomplete', async () => {
    const logdir = tempDir();
    server = await startServer({ logdir, port: 0, log: null });
    const child = spawn(process.execPath, [join(here, 'test-helpers', 'publisher-child.mjs'), wsUrl(server.url, '/ws/publish'), 'killed-run'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child did not publish')), 15_000);
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('published 20') && (clearTimeout(timer), resolve()));
    });
    expect((await (await fetch(server.url + 'api/runs/killed-run')).json()).status).toBe('live');
    child.kill('SIGKILL');
    const end = Date.now() + 10_000;
    let summary: any;
    do {
      await new Promise((r) => setTimeout(r, 50));
      summary = await (await fetch(server.url + 'api/runs/killed-run')).json();
    } while (summary.status === 'live' && Date.now() < end);
    expect(summary.status).toBe('incomplete');
    const { events } = await (await fetch(server.url + `api/runs/killed-run/events?limit=10000`)).json();
    expect(events.map((e: any) => e.seq)).toEqual(range(summary.lastSeq + 1));
    expect(summary.lastSeq).toBeGreaterThanOrEqual(20);
  });

  it('the server killed with SIGKILL mid-run and restarted: every event stored exactly once', async () => {
    const logdir = tempDir();
    const port = await freePort();
    let { child, url } = await serveChild(logdir, port);
    const events = makeRun('survivor', 400);
    await publish(url, 'survivor', events.slice(0, 150), 25);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    ({ child, url } = await serveChild(logdir, port));
    // A publisher that resumes where the server says: the welcome's lastSeq.
    const lastSeq = await publish(url, 'survivor', events, 40);
    expect(lastSeq).toBe(149);
    const runs = await (await fetch(url + 'api/runs')).json();
    expect(runs.runs[0]).toMatchObject({ runId: 'survivor', status: 'completed', lastSeq: 399, events: 400 });
    const stored = readFileSync(join(logdir, 'survivor', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(stored).toEqual(range(400));
    expect(readdirSync(logdir)).toEqual(['survivor']);
  });

  // Under a file; and under /proc, where Node's recursive mkdir never returned (the server hung, a core busy).
  it.each([
    ['under a file', () => join(tempDir(), 'not-a-folder', 'runs'), /cannot write to logdir .*not-a-folder.*ENOTDIR/],
    ...(existsSync('/proc/self') ? [['under /proc', () => '/proc/gradscope-nope/runs', /cannot write to logdir '\/proc\/gradscope-nope\/runs' \(ENOENT: .*mkdir '\/proc\/gradscope-nope'\)/] as const] : []),
  ] as const)('gradscope serve on an unwritable logdir (%s) exits at once with a clear error', async (_where, folder, said) => {
    const logdir = folder();
    if (logdir.includes('not-a-folder')) writeFileSync(dirname(logdir), '');
    const child = spawn(process.execPath, [bin, 'serve', '--logdir', logdir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(said);
  });

  it('gradscope CLI errors name the bad flag', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string; out: string }>((resolve) => {
        const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        let out = '';
        c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        c.once('exit', (code) => resolve({ code, err, out }));
      });
    expect(await run(['serve', '--port', 'x'])).toMatchObject({ code: 2, err: expect.stringContaining('--port must be a port number') });
    expect(await run(['serve', '--frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown flag --frobnicate') });
    expect(await run(['serve', '--logdir'])).toMatchObject({ code: 2, err: expect.stringContaining('--logdir needs a value') });
    expect(await run(['serve', '--host', '0.0.0.0', '--port', '0'])).toMatchObject({ code: 1, err: expect.stringContaining('--token') });
    expect(await run(['export', 'r', '--format', 'xml'])).toMatchObject({ code: 2, err: expect.stringContaining('--format must be one of csv, json') });
    expect((await run(['export', '--help'])).out).toContain('--format');
    const logdir = tempDir();
    const { RunLogWriter } = await import('@gradscope/protocol/node');
    const w = RunLogWriter.open(logdir, 'exp', { flushIntervalMs: 0 });
    for (const e of makeRun('exp', 12)) w.append(e);
    w.close();
    const csv = await run(['export', 'exp', '--format', 'csv', '--logdir', logdir]);
    expect(csv.code).toBe(0);
    expect(csv.out.trim().split('\n')).toHaveLength(1 + 9); // header + the train-steps
  });
});
