/**
 * Starts the gradscope server for the browser test: the real one
 * (@gradscope/server's CLI, `gradscope serve --logdir DIR --port N`) when it
 * is built, else the stand-in of stub-server.ts with a loud note — the server
 * is being built in parallel (issue 4) and this keeps the dashboard testable.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startStubServer } from './stub-server.js';

export interface RunningServer {
  url: string;
  real: boolean;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** The CLI script of @gradscope/server, or null while it does not exist. */
export function serverCli(): string | null {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('@gradscope/server/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.gradscope;
    const path = bin ? join(dirname(pkgPath), bin) : null;
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export async function startServer(dist: string, logdir: string): Promise<RunningServer> {
  const cli = serverCli();
  if (!cli) {
    console.warn('[gradscope e2e] @gradscope/server CLI not built yet: using the test stand-in (test/helpers/stub-server.ts)');
    const stub = await startStubServer(dist, logdir);
    return { ...stub, real: false };
  }
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'serve', '--logdir', logdir, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url + 'api/health')).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    real: true,
    close: () => new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill();
    }),
  };
}
