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
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SLOTS = 2;
/**
 * Longest first (their durations in a full run on 2 cores, in seconds).
 * A workspace not named here runs after these.
 */
const LONGEST_FIRST = [
  '@gradscope/tfjs', // ~350
  '@gradscope/installed', // ~240, a third of it npm install, which leaves the CPU to the tfjs tests
  '@gradscope/examples', // ~190
  '@gradscope/dashboard', // ~80
  '@gradscope/server', // ~70
  '@gradscope/core', // ~60
  '@gradscope/bench', // ~20
  '@gradscope/protocol', // ~10
];

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const workspaces = readJson(join(ROOT, 'package.json')).workspaces.map((dir) => {
  const manifest = readJson(join(ROOT, dir, 'package.json'));
  return { dir, name: manifest.name, scripts: manifest.scripts ?? {} };
});
const rank = (name) => (LONGEST_FIRST.includes(name) ? LONGEST_FIRST.indexOf(name) : LONGEST_FIRST.length);
const byLength = [...workspaces].sort((a, b) => rank(a.name) - rank(b.name));
const jobs = byLength.filter((w) => w.scripts.test).map((w) => ({ ...w, script: 'test' }));

const build = spawnSync('npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

/** Writes a child's stream line by line, each line prefixed. */
function prefixed(stream, prefix) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => rest && process.stdout.write(`${prefix}${rest}\n`));
}

/** Runs one job; resolves with its exit status and duration. */
function runJob({ dir, name, script }) {
  const started = Date.now();
  const prefix = `${name}:${script}: `;
  process.stdout.write(`${prefix}started\n`);
  const child = spawn('npm', ['run', script], { cwd: join(ROOT, dir), stdio: ['ignore', 'pipe', 'pipe'] });
  prefixed(child.stdout, prefix);
  prefixed(child.stderr, prefix);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(`${prefix}${code === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds} s\n`);
      resolve({ label: `${name}:${script}`, ok: code === 0, seconds });
    }),
  );
}

const started = Date.now();
const queue = [...jobs];
const results = [];
await Promise.all(
  Array.from({ length: SLOTS }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) results.push(await runJob(job));
  }),
);
const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} of ${results.length} jobs passed in ${Math.round((Date.now() - started) / 1000)} s`);
for (const r of failed) console.log(`  failed: ${r.label}`);
process.exit(failed.length ? 1 : 0);
