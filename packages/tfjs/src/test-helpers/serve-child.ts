import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free loopback port (the kernel picks it; the listener is closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.once('error', reject);
  });
}

/**
 * `gradscope serve` as a user starts it: the real CLI in a child process, so
 * a test can SIGKILL it like a crash and start another on the same port.
 */
export class ServeChild {
  private readonly children: ChildProcess[] = [];
  private current: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Starts `gradscope serve --logdir <logdir>` and resolves once it prints its address. */
  start(logdir: string): Promise<void> {
    const bin = join(createRequire(import.meta.url).resolve('@gradscope/server/package.json'), '..', 'bin', 'gradscope.js');
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [bin, 'serve', '--logdir', logdir, '--port', String(this.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
      this.children.push(c);
      this.current = c;
      c.stdout!.on('data', (d: Buffer) => d.toString().includes('→') && resolve());
      c.once('exit', (code) => reject(new Error(`gradscope serve exited with ${code} before listening`)));
    });
  }

  /** SIGKILL: no chance to flush or say goodbye, like a crash. */
  async kill(): Promise<void> {
    const c = this.current;
    this.current = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  /** Kills every child this helper started (test cleanup). */
  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/**
 * The run's summary once the server no longer counts it live: closing the
 * publisher's socket reaches the server a moment after close() returns.
 */
export async function settledSummary(httpUrl: string, runId: string): Promise<{ status: string; [key: string]: unknown }> {
  for (;;) {
    const summary = await (await fetch(`${httpUrl.replace(/^ws/, 'http').replace(/\/$/, '')}/api/runs/${runId}`)).json();
    if (summary.status !== 'live') return summary;
    await new Promise((r) => setTimeout(r, 50));
  }
}
