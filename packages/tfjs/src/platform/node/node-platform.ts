/**
 * The platform of Node: runs written to the logdir, the embedded dashboard
 * server, the `ws` client (Node 20 has no WebSocket of its own), the wasm
 * backend. Reached only from the package's Node entry (../../node.ts), so
 * no bundler building a page ever sees these imports.
 */
import * as tf from '@tensorflow/tfjs';
import type { SocketFactory, SocketLike } from '../../monitor/publisher-socket.js';
import type { Platform } from '../platform-interface.js';
import { embeddedServerSink, importServer, serveForever } from './embedded-server.js';
import { LogdirSink } from './logdir-sink.js';
import { startNodeMeasureWorker } from './node-measure-worker.js';
import { watchGcPauses } from './gc-pauses.js';
import { watchProcessExit } from './process-exit.js';
import { openRunQueueClock } from './thread-schedstat.js';

async function nodeSocketFactory(): Promise<SocketFactory> {
  try {
    const { openWebSocket } = await importServer();
    return (url) => openWebSocket(url) as SocketLike;
  } catch (err) {
    // Node 22+ has a WebSocket of its own; 20 needs ws (through @gradscope/server).
    const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
    if (Ctor) return (url) => new Ctor(url);
    throw err;
  }
}

export const nodePlatform: Platform = {
  name: 'node',
  checkOptions() {
    // Node honours every option.
  },
  defaultLogdir: './gradscope-runs',
  openLogdirSink: (logdir, runId) => LogdirSink.open(logdir, runId),
  embeddedServerSink,
  socketFactory: nodeSocketFactory,
  serveForever,
  async selectWasm() {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (err) {
      return `@tensorflow/tfjs-backend-wasm is not installed (npm install @tensorflow/tfjs-backend-wasm): ${(err as Error).message.split('\n')[0]}`;
    }
    return (await tf.setBackend('wasm')) ? null : 'wasm failed to initialise';
  },
  startMeasureWorker: startNodeMeasureWorker,
  openRunQueueClock,
  watchGcPauses,
  watchExit: watchProcessExit,
};
