/**
 * `gradscope serve` as a child process, for tests that kill it or measure
 * its memory from outside (/proc/PID/status: VmRSS now, VmHWM the peak).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gradscope.js');

/** Children started here; kill them in afterEach with killChildren(). */
const children: ChildProcess[] = [];

export function killChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
}

/** A port free right now on loopback (a restarted server must come back on the same one). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts `gradscope serve`; resolves with the child and its URL once it prints it. `lines` collects what it prints. */
export function serveChild(logdir: string, port = 0, extra: string[] = []): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, [bin, 'serve', '--logdir', logdir, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      lines.push(...d.toString().split('\n').filter((l) => l.length > 0));
      const m = /→ (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, lines });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

/** A process's memory in MiB from /proc: `rss` now and `peak` (the high-water mark since it started). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}
