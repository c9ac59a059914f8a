/**
 * Starts the real gradscope server for the browser test: @gradscope/server's
 * CLI, `gradscope serve --logdir DIR --port N --dashboard DIST`, in its own
 * process, as a user would. Turbo builds the server before this package's
 * tests; a missing CLI means the build did not run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface RunningServer {
  url: string;
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
    const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
    const path = bin ? join(dirname(pkgPath), bin) : null;
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export async function startServer(dist: string, logdir: string): Promise<RunningServer> {
  const cli = serverCli();
  if (!cli) throw new Error('the @gradscope/server CLI is not built: run `npm run build` (npm test builds it first through turbo)');
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'serve', '--logdir', logdir, '--port', String(port), '--dashboard', dist], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}/`;
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      up = (await fetch(url + 'api/health')).ok;
    } catch {
      /* not up yet */
    }
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    child.kill();
    throw new Error(`gradscope serve did not answer ${url}api/health within 10 s`);
  }
  return {
    url,
    close: () => new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill();
    }),
  };
}
