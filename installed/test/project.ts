/**
 * The fresh project the as-installed tests run in: every publishable
 * package of this repository packed with `npm pack` (what the registry
 * would serve), and the tarballs installed, with what a user installs from
 * the registry beside them, into a new folder outside the repository.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The workspaces that are published (not private), in the root package.json's order. */
export function publishedWorkspaces(): string[] {
  const root = manifest(REPO) as Manifest & { workspaces: string[] };
  return root.workspaces.filter((w) => !manifest(join(REPO, w)).private);
}

/**
 * npm run by a test: without the npm_* variables of the `npm test` that
 * started us (they would point the child at this repository's workspace).
 */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

export function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Packs every published workspace into `dir`; returns the tarball paths. */
export function packAll(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return publishedWorkspaces().map((w) => {
    const out = npm(['pack', '--silent', '--pack-destination', dir, '-w', w], REPO).trim().split('\n');
    return join(dir, out[out.length - 1]!.trim());
  });
}

/** The version range this repository uses for a registry package (so the fresh project gets what we test with). */
export function rangeOf(name: string): string {
  for (const w of [...publishedWorkspaces(), 'examples', '.']) {
    const m = manifest(join(REPO, w));
    const range = m.dependencies?.[name] ?? m.peerDependencies?.[name] ?? m.devDependencies?.[name];
    if (range) return range;
  }
  throw new Error(`no workspace of this repository names ${name}`);
}

/** Creates the project: tarballs + tfjs + two Vite majors + TypeScript, one `npm install`. */
export function createProject(): { dir: string; tarballs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-installed-'));
  const tarballs = packAll(join(dir, '.tarballs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-rnn-project', version: '1.0.0', private: true }, null, 2));
  npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      ...tarballs,
      `@tensorflow/tfjs@${rangeOf('@tensorflow/tfjs')}`,
      // The oldest Vite major we support and the newest.
      'vite6@npm:vite@^6',
      'vite8@npm:vite@^8',
      `typescript@${rangeOf('typescript')}`,
    ],
    dir,
  );
  return { dir, tarballs };
}

/** A child process whose output is collected; `waitFor` resolves on the first line matching. */
export interface Child {
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code, or the name of the signal that ended it. */
  exited: Promise<number | string | null>;
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Child {
  // Its own process group, so that interrupt() reaches npx's child too, as Ctrl-C in a terminal does.
  const proc = spawn(command, args, { cwd, env: { ...npmEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string | null>((r) => proc.on('exit', (code, signal) => (r(code ?? signal), listeners.forEach((l) => l()))));
  return {
    proc,
    exited,
    output: () => text,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = text.match(pattern);
          if (m) return done(() => resolveMatch(m));
          if (proc.exitCode !== null) return done(() => reject(new Error(`${command} exited (${proc.exitCode}) before printing ${pattern}:\n${text}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${text}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Stops a child with SIGINT sent to its process group (what Ctrl-C does) and returns its exit code. */
export async function interrupt(child: Child): Promise<number | string | null> {
  if (child.proc.exitCode === null && child.proc.pid !== undefined) {
    try {
      process.kill(-child.proc.pid, 'SIGINT');
    } catch {
      // the group has exited meanwhile
    }
  }
  return child.exited;
}
