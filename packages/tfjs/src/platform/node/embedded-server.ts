/**
 * The embedded dashboard server: with no `url` (and `serve` not false), in
 * Node, the callback starts @gradscope/server in this process on 127.0.0.1
 * (port 6007 or the next free one), its store being the callback's logdir.
 * One server per process and logdir, shared by every run. It is unref'd: a
 * training script that finishes exits even though the server is up; call
 * `serveForever()` (the demo does) to keep the dashboard up until Ctrl-C.
 *
 * Node only (reached from the package's Node entry). @gradscope/server
 * (express, ws) is an optional peer dependency, imported on first use: the
 * `gradscope` package brings it; a page's install never does.
 */
import type { GradscopeEvent } from '@gradscope/protocol';
import type { GradscopeServer, LocalFeed } from '@gradscope/server';
import type { EventSink } from '../../monitor/sinks.js';

/** @gradscope/server, or an error that says how to get it. */
export async function importServer(): Promise<typeof import('@gradscope/server')> {
  try {
    return await import('@gradscope/server');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('@gradscope/server')) {
      throw new Error('@gradscope/server is not installed: `npm install gradscope` brings the dashboard server (or install @gradscope/server)');
    }
    throw err;
  }
}

const servers = new Map<string, Promise<GradscopeServer | null>>();

/** The shared server for `logdir`, started on first use; null when it cannot start (a warning says why). */
export function embeddedServer(logdir: string): Promise<GradscopeServer | null> {
  let server = servers.get(logdir);
  if (!server) {
    server = (async () => {
      try {
        const { startServer } = await importServer();
        const s = await startServer({ logdir, host: '127.0.0.1', port: 6007, portFallback: true, log: null });
        s.unref();
        console.log(`gradscope dashboard → ${s.url}`);
        return s;
      } catch (err) {
        console.warn(`gradscope: the embedded dashboard server did not start (${(err as Error).message}); the run is still recorded in ${logdir}`);
        return null;
      }
    })();
    servers.set(logdir, server);
  }
  return server;
}

/** Feeds one run to the embedded server: it broadcasts; the callback's logdir sink writes the file. */
/** The sink that feeds run `runId` to the embedded server of `logdir`, or null when the server could not start. */
export async function embeddedServerSink(logdir: string, runId: string): Promise<EventSink | null> {
  const server = await embeddedServer(logdir);
  return server ? new EmbeddedServerSink(server.openLocal(runId)) : null;
}

export class EmbeddedServerSink implements EventSink {
  readonly name = 'embedded-server';
  constructor(private readonly feed: LocalFeed) {}
  write(event: GradscopeEvent): void {
    this.feed.write(event);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    this.feed.close();
  }
}

/**
 * Keeps this process alive serving the dashboard until SIGINT/SIGTERM (the
 * embedded server is otherwise unref'd), then closes it. Resolves after
 * closing; resolves at once when no embedded server was started.
 */
export async function serveForever(): Promise<void> {
  const started = (await Promise.all(servers.values())).filter((s): s is GradscopeServer => s !== null);
  if (started.length === 0) return;
  for (const s of started) s.ref();
  console.log(`gradscope: serving ${started.map((s) => s.url).join(', ')} until Ctrl-C`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.all(started.map((s) => s.close()));
  servers.clear();
}
