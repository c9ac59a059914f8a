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
  --dashboard DIR   folder of a built dashboard (default: the installed @gradscope/dashboard)
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
  try {
    await writeAll(out, chunks);
  } catch (err) {
    // `gradscope export … | head` closes the pipe early: that reader has all it wanted.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw err;
  }
}

/** Writes every chunk with backpressure; rejects on the stream's first error (a closed pipe, a full disk). */
async function writeAll(out: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  let failed: Error | null = null;
  let wake: () => void = () => {};
  const onError = (err: Error) => {
    failed = err;
    wake();
  };
  out.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failed) break;
      if (!out.write(chunk)) await new Promise<void>((r) => ((wake = r), out.once('drain', () => r())));
    }
    if (!failed && out !== process.stdout) await new Promise<void>((r) => ((wake = r), out.end(() => r())));
  } finally {
    out.off('error', onError);
  }
  if (failed) throw failed;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // A reader that closes the pipe (`| head`) ends the output, not in a stack trace.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
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
