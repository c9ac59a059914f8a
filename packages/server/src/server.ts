/**
 * startServer(): express (REST + the dashboard) and two `ws` servers
 * (publishers, subscribers) on one HTTP server and one port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PUBLISH_PATH, SUBSCRIBE_PATH } from '@gradscope/protocol';
import express from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import { Hub } from './hub.js';
import type { LocalFeed } from './local-feed.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { Publisher } from './publisher.js';
import { apiRouter } from './routes.js';
import { RunStore } from './run-store.js';
import { originAllowed } from './security.js';
import { defaultDashboardDir } from './dashboard-dir.js';
import { mountDashboard } from './static.js';
import { newStats, type ServerStats } from './stats.js';
import { Subscriber } from './subscriber.js';

const PORT_ATTEMPTS = 20;
const REFRESH_MS = 2_000;

export interface GradscopeServer {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly logdir: string;
  readonly stats: ServerStats;
  readonly options: ResolvedServerOptions;
  /** A feed for a run produced in this process (the embedded server); see Hub.openLocal. */
  openLocal(runId: string): LocalFeed;
  /** Lets the process exit while the server (and its connections) are still open: the embedded default. */
  unref(): void;
  /** Keeps the process alive while the server is open (undoes unref). */
  ref(): void;
  /** Closes every connection and the port; appenders are flushed and closed. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export async function startServer(options: ServerOptions = {}): Promise<GradscopeServer> {
  const opts = resolveServerOptions(options);
  const store = await RunStore.open(opts.logdir);
  const stats = newStats();
  const hub = new Hub(store, opts, stats);

  const app = express();
  app.disable('x-powered-by');
  app.use('/api', apiRouter(store, stats));
  mountDashboard(app, opts.dashboardDir ?? defaultDashboardDir());

  const http = createServer(app);
  const sockets = new Set<Socket>();
  let unrefd = false;
  http.on('connection', (s: Socket) => {
    sockets.add(s);
    if (unrefd) s.unref();
    s.on('close', () => sockets.delete(s));
  });
  http.on('clientError', (_err, socket) => {
    stats.badRequests++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const publishers = new WebSocketServer({ noServer: true, maxPayload: opts.maxPublishPayload });
  const subscribers = new WebSocketServer({ noServer: true, maxPayload: opts.maxSubscribePayload });
  /** Pings not answered in a row; two missed and the connection is dropped. */
  const missed = new WeakMap<WebSocket, number>();
  const watch = (ws: WebSocket) => {
    missed.set(ws, 0);
    ws.on('pong', () => missed.set(ws, 0));
    // ws reports protocol violations (oversize, bad UTF-8, bad opcodes) here and closes the socket itself (1009, 1007, 1002).
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') stats.oversizeFrames++;
      else stats.invalidMessages++;
    });
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    const target = path === PUBLISH_PATH ? publishers : path === SUBSCRIBE_PATH ? subscribers : null;
    if (!target) {
      stats.badRequests++;
      return refuseUpgrade(socket, 404, `no websocket at ${String(path).slice(0, 100)}; use ${PUBLISH_PATH} or ${SUBSCRIBE_PATH}`);
    }
    if (!originAllowed(req.headers.origin, req.headers.host, opts.allowedOrigins)) {
      stats.badOrigins++;
      return refuseUpgrade(socket, 403, `origin ${String(req.headers.origin).slice(0, 100)} is not allowed`);
    }
    target.handleUpgrade(req, socket, head, (ws) => {
      watch(ws);
      if (target === publishers) {
        new Publisher(ws, hub);
      } else {
        const sub = new Subscriber(ws, hub);
        hub.subscribers.add(sub);
        stats.subscribersAccepted++;
        ws.on('close', () => hub.subscribers.delete(sub));
        ws.send(hub.currentRunsFrame());
      }
    });
  });

  const heartbeat = setInterval(() => {
    for (const ws of [...publishers.clients, ...subscribers.clients]) {
      const count = missed.get(ws) ?? 0;
      if (count >= 2) {
        stats.heartbeatTimeouts++;
        ws.terminate();
        continue;
      }
      missed.set(ws, count + 1);
      ws.ping();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();
  const refresh = setInterval(() => void store.refresh().catch(() => {}), REFRESH_MS);
  refresh.unref();

  let port = opts.port;
  for (let attempt = 0; ; attempt++) {
    try {
      port = await listen(http, opts.host, opts.port === 0 ? 0 : opts.port + attempt);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && opts.portFallback && opts.port !== 0 && attempt + 1 < PORT_ATTEMPTS) continue;
      hub.close();
      clearInterval(heartbeat);
      clearInterval(refresh);
      if (code === 'EADDRINUSE') throw new Error(`gradscope server: port ${opts.port + attempt} on ${opts.host} is in use; pick another with --port`);
      throw new Error(`gradscope server: cannot listen on ${opts.host}:${opts.port + attempt}: ${(err as Error).message}`);
    }
  }
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/`,
    host: opts.host,
    port,
    logdir: store.logdir,
    stats,
    options: opts,
    openLocal: (runId) => hub.openLocal(runId),
    unref() {
      unrefd = true;
      http.unref();
      for (const s of sockets) s.unref();
    },
    ref() {
      unrefd = false;
      http.ref();
      for (const s of sockets) s.ref();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        clearInterval(refresh);
        hub.close();
        for (const ws of [...publishers.clients, ...subscribers.clients]) ws.terminate();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closed;
    },
  };
}
