#!/usr/bin/env node
/**
 * npm run bench — every benchmark of issues 7 and 14, each a ratio measured
 * side by side in this one process (7 also in a child process pinned to one
 * core, 8 in Chromium), written to bench/RESULTS.md between the
 * generated-section markers (the hand-written notes around them are kept).
 *
 *   node bench/run.mjs                 full run (about 20 minutes on 2 shared cores)
 *   node bench/run.mjs --only 2,3      some benchmarks: their results replace those in the file, the
 *                                      others are kept, and the header gets a line for this run
 *   node bench/run.mjs --smoke         tiny configurations, checks the code runs (npm test);
 *                                      writes to a temporary file, never to RESULTS.md
 *   node bench/run.mjs --out file.md   another output file
 *   node bench/run.mjs --only 2 --before <dir>
 *                                      benchmark 2 also measures the @gradscope/tfjs of <dir> (a tree
 *                                      made by bench/at-commit.sh), interleaved in this one process
 *   --one-core --raw <file>            internal: how benchmark 7 re-runs itself in a child process under
 *                                      `taskset -c 0`; the results go to <file> as JSON, not to RESULTS.md
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS } from './benchmarks/index.mjs';
import { describeEnvironment } from './lib/environment.mjs';
import { useBackend } from './lib/models.mjs';
import { mergeGenerated, readGenerated, writeResults } from './lib/results-file.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { smoke: false, only: null, out: null, before: null, oneCore: false, raw: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') args.smoke = true;
    else if (a === '--only') args.only = String(argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) args.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--out') args.out = argv[++i];
    else if (a.startsWith('--out=')) args.out = a.slice(6);
    else if (a === '--before') args.before = argv[++i];
    else if (a.startsWith('--before=')) args.before = a.slice(9);
    else if (a === '--one-core') args.oneCore = true;
    else if (a === '--raw') args.raw = argv[++i];
    else throw new Error(`bench: unknown argument '${a}' (known: --smoke, --only 1,2,…, --out file, --before dir, --one-core --raw file)`);
  }
  const known = BENCHMARKS.map((b) => b.id);
  for (const id of args.only ?? []) if (!known.includes(id)) throw new Error(`bench: --only ${id}: no such benchmark (known: ${known.join(', ')})`);
  // The pinned child must really be on one core: a taskset that did not apply would make its table a copy of the 2-core one.
  if (args.oneCore && os.availableParallelism() !== 1) throw new Error(`bench: --one-core, but this process may run on ${os.availableParallelism()} cores (start it under taskset -c 0)`);
  if (args.oneCore !== Boolean(args.raw)) throw new Error('bench: --one-core and --raw <file> go together (benchmark 7 starts its pinned child with both)');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const out = args.out ?? (args.smoke ? path.join(os.tmpdir(), `gradscope-bench-smoke-${process.pid}.md`) : path.join(here, 'RESULTS.md'));
  const backend = await useBackend('wasm');
  const environment = describeEnvironment(backend);
  const started = performance.now();
  const log = (line) => console.log(line);
  const sections = [];
  const summaryRows = [];
  const raw = {};
  for (const bench of BENCHMARKS) {
    if (args.only && !args.only.includes(bench.id)) continue;
    log(`bench ${bench.id}: ${bench.name}`);
    const t0 = performance.now();
    const result = await bench.run(args.smoke ? bench.smoke : bench.full, log, { before: args.before, smoke: args.smoke, oneCore: args.oneCore });
    raw[bench.id] = { raw: result.raw ?? null };
    const seconds = (performance.now() - t0) / 1000;
    log(`bench ${bench.id}: ${seconds.toFixed(0)} s`);
    summaryRows.push(...result.summaryRows);
    sections.push(`### ${result.title}\n\n${result.markdown}\n\n_(${seconds.toFixed(0)} s)_`);
  }
  const total = (performance.now() - started) / 1000;
  if (args.raw) {
    writeFileSync(args.raw, JSON.stringify(raw));
    log(`bench: wrote ${args.raw} (${total.toFixed(0)} s)`);
    return;
  }
  const generated = [
    `## Results${args.smoke ? ' (smoke run: tiny configurations, numbers mean nothing)' : ''}`,
    '',
    ...environment,
    `- total bench time: ${total.toFixed(0)} s${args.only ? ` (benchmarks ${args.only.join(', ')} only)` : ''}`,
    '',
    '| # | ratio | measured | target |',
    '|---|---|---|---|',
    ...summaryRows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  // Some benchmarks only: theirs replace the file's, the others' are kept (lib/results-file.mjs).
  const rerun = `${environment.map((line) => line.replace(/^- /, '')).join('; ')}; ${total.toFixed(0)} s`;
  writeResults(out, args.only ? mergeGenerated(readGenerated(out), generated, args.only, rerun) : generated);
  log(`bench: wrote ${out} (${total.toFixed(0)} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
