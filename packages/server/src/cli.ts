/**
 * The `gradscope` command: `serve` (the live server on a logdir) and
 * `export` (a stored run as CSV or JSON). Exit codes: 0 ok, 1 runtime
 * error, 2 usage error.
 */
import { createWriteStream } from 'node:fs';
import { isValidRunId, runIdProblem } from '@gradscope/protocol';
import { parseFlags, UsageError } from './args.js';
import { exportCsv, exportJson } from './export.js';
import { RunStore } from './run-store.js';
import { startServer } from './server.js';
import { VERSION } from './version.js';

const HELP = `gradscope ${VERSION} — watch recurrent networks train

Usage:
  gradscope serve [--logdir DIR] [--port N] [--host H] [--token T] [--dashboard DIR]
  gradscope export RUN --format csv|json [--logdir DIR] [--out FILE]
  gradscope COMMAND --help
`;

const SERVE_HELP = `gradscope serve — the live server: dashboard, REST API and websockets on one port

  --logdir DIR      run store, one folder per run (default ./gradscope-runs)
  --port N          port (default 6007; 0 picks a free one)
  --host H          address to bind (default 127.0.0.1); any non-loopback address requires --token
  --token T         publisher token: training processes must send it (gradscope({ url, token }))
  --dashboard DIR   folder of the built dashboard (default: dashboard/dist of this repository)
`;

const EXPORT_HELP = `gradscope export — write a stored run as CSV (one row per training step) or JSON (every event)

  RUN               the run id (its folder name in the logdir)
  --format F        csv or json (required)
  --logdir DIR      run store (default ./gradscope-runs)
  --out FILE        output file (default: standard output)
`;

async function serve(argv: string[]): Promise<void> {
  const { flags, positional } = parseFlags(argv, {
    logdir: { kind: 'string' },
    port: { kind: 'port' },
    host: { kind: 'string' },
    token: { kind: 'string' },
    dashboard: { kind: 'string' },
    help: { kind: 'boolean' },
  });
  if (flags['help']) return void process.stdout.write(SERVE_HELP);
  if (positional.length > 0) throw new UsageError(`serve takes no positional argument, got '${positional[0]}'`);
  const server = await startServer({
    logdir: flags['logdir'] as string | undefined,
    port: flags['port'] as number | undefined,
    host: flags['host'] as string | undefined,
    token: flags['token'] as string | undefined,
    dashboardDir: flags['dashboard'] as string | undefined,
  });
  console.log(`gradscope dashboard → ${server.url}  (logdir ${server.logdir})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function exportRun(argv: string[]): Promise<void> {
  const { flags, positional } = parseFlags(argv, {
    format: { kind: 'enum', values: ['csv', 'json'] },
    logdir: { kind: 'string' },
    out: { kind: 'string' },
    help: { kind: 'boolean' },
  });
  if (flags['help']) return void process.stdout.write(EXPORT_HELP);
  const runId = positional[0];
  if (runId === undefined) throw new UsageError('export needs a run id: gradscope export RUN --format csv|json');
  if (positional.length > 1) throw new UsageError(`export takes one run id, got also '${positional[1]}'`);
  if (!isValidRunId(runId)) throw new UsageError(`invalid run id '${runId}': ${runIdProblem(runId)}`);
  if (!flags['format']) throw new UsageError('flag --format is required (csv or json)');
  const store = await RunStore.open((flags['logdir'] as string | undefined) ?? './gradscope-runs');
  const run = store.get(runId);
  if (!run) throw new Error(`no run '${runId}' in ${store.logdir}`);
  const out: NodeJS.WritableStream = flags['out'] ? createWriteStream(flags['out'] as string) : process.stdout;
  const chunks = flags['format'] === 'csv' ? exportCsv(store, run) : exportJson(store, run);
  for await (const chunk of chunks) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (command === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (command === 'serve') await serve(rest);
    else if (command === 'export') await exportRun(rest);
    else throw new UsageError(`unknown command '${command}' (known: serve, export)`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gradscope: ${err.message}\n\n${command === 'serve' ? SERVE_HELP : command === 'export' ? EXPORT_HELP : HELP}`);
      return 2;
    }
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
