// `npm test`: builds and type-checks every package (turbo, cached), then
// runs every workspace's tests two at a time, the longest first.
//
// Why not `turbo run test`: turbo starts the tasks that are ready in an order
// it does not let us choose, and on 2 cores the suite's wall time is set by
// when its two longest packages start. Started last, the as-installed tests
// (about 4 minutes) ran alone after everything else; started first, beside
// the tfjs tests, the two halves end together.
//
// Output lines are prefixed `<package>:<script>: ` as turbo's are (.ci/run
// counts the `Tests` lines). Every job runs even when one fails; the exit
// status is 1 when any failed, and the failures are listed at the end.
// Ctrl-C (or SIGTERM) is passed on to every running job, whose output is
// still shown while it ends; the runner then exits by the same signal's code.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SLOTS = 2;
/**
 * Longest first (their durations in a full run on 2 cores, in seconds).
 * A workspace not named here runs after these.
 */
const LONGEST_FIRST = [
  '@gradscope/tfjs', // ~320
  '@gradscope/installed', // ~230, a fifth of it npm install, which leaves the CPU to the tfjs tests
  '@gradscope/examples', // ~145
  '@gradscope/dashboard', // ~80
  '@gradscope/server', // ~70
  '@gradscope/core', // ~60
  '@gradscope/bench', // ~20
  '@gradscope/protocol', // ~10
];
/**
 * Knobs for editing one test that must not reach a whole run: with them the
 * as-installed tests would reuse a project packed from an older tree.
 */
const EDITING_ONLY = ['GRADSCOPE_INSTALLED_DIR', 'GRADSCOPE_KEEP_INSTALLED'];

if (process.argv.length > 2) {
  console.error(
    `npm test takes no arguments (got: ${process.argv.slice(2).join(' ')}). ` +
      'One workspace: npm test -w <folder> (e.g. npm test -w packages/tfjs); one file: npx vitest run <file> in its workspace.',
  );
  process.exit(2);
}
// Output piped into something that closed (npm test | head): stop writing, not crash.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
});

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const workspaces = readJson(join(ROOT, 'package.json')).workspaces.map((dir) => {
  const manifest = readJson(join(ROOT, dir, 'package.json'));
  return { dir, name: manifest.name, scripts: manifest.scripts ?? {} };
});
const unknown = LONGEST_FIRST.filter((name) => !workspaces.some((w) => w.name === name));
if (unknown.length > 0) {
  console.error(`scripts/run-tests.mjs: LONGEST_FIRST names ${unknown.join(', ')}, which no workspace in package.json is`);
  process.exit(2);
}
const rank = (name) => (LONGEST_FIRST.includes(name) ? LONGEST_FIRST.indexOf(name) : LONGEST_FIRST.length);
const jobs = [...workspaces]
  .sort((a, b) => rank(a.name) - rank(b.name))
  .filter((w) => w.scripts.test)
  .map((w) => ({ ...w, script: 'test' }));

const build = spawnSync('npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
if (build.error) console.error(`npm test: could not run turbo (${build.error.message})`);
if (build.status !== 0) process.exit(build.status ?? 1);

const env = { ...process.env };
for (const name of EDITING_ONLY) delete env[name];
// The jobs' output is piped through this process: keep vitest's colours where they would show.
if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';

/** Writes a child's stream line by line, each line prefixed; resolves when the stream has ended. */
function prefixed(stream, prefix) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
  });
  // 'close', not 'end': a stream destroyed without ending (npm failed to start) still settles.
  return new Promise((resolve) =>
    stream.on('close', () => {
      if (rest) process.stdout.write(`${prefix}${rest}\n`);
      resolve();
    }),
  );
}

const running = new Set();
let stopping = null;

/** Runs one job in a process group of its own (so a signal reaches its whole tree); resolves with its result. */
function runJob({ dir, name, script }) {
  const started = Date.now();
  const prefix = `${name}:${script}: `;
  process.stdout.write(`${prefix}started\n`);
  const child = spawn('npm', ['run', script], { cwd: join(ROOT, dir), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  const drained = Promise.all([prefixed(child.stdout, prefix), prefixed(child.stderr, prefix)]);
  const exited = new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: null, signal: null, error: err }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return Promise.all([exited, drained]).then(([{ code, signal, error }]) => {
    running.delete(child);
    const seconds = Math.round((Date.now() - started) / 1000);
    const why = error ? `could not start npm: ${error.message}` : (signal ?? `exit ${code}`);
    process.stdout.write(`${prefix}${code === 0 ? 'passed' : `FAILED (${why})`} in ${seconds} s\n`);
    return { label: `${name}:${script}`, ok: code === 0, seconds };
  });
}

/** Passes the signal on to every running job's group; no new job starts. A second Ctrl-C kills them. */
function stop(signal) {
  const again = stopping !== null;
  stopping = signal;
  process.stdout.write(`\nnpm test: ${signal}${again ? ' again: killing' : ': stopping'} ${running.size} running job${running.size === 1 ? '' : 's'}…\n`);
  for (const child of running) {
    try {
      process.kill(-child.pid, again ? 'SIGKILL' : signal);
    } catch {
      // The group has ended already.
    }
  }
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

const started = Date.now();
const queue = [...jobs];
const results = [];
await Promise.all(
  Array.from({ length: SLOTS }, async () => {
    for (let job = queue.shift(); job && !stopping; job = queue.shift()) results.push(await runJob(job));
  }),
);
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} of ${jobs.length} jobs passed in ${Math.round((Date.now() - started) / 1000)} s`);
for (const r of failed) console.log(`  failed: ${r.label}`);
if (stopping) {
  console.log(`  stopped by ${stopping}: ${jobs.length - results.length} job(s) not run`);
  process.exit(128 + constants.signals[stopping]);
}
process.exit(failed.length ? 1 : 0);
