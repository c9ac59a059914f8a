/**
 * The platform of a page (and of any runtime without the `node` export
 * condition): no files, no embedded server, the runtime's own WebSocket.
 * Nothing here may import a Node-only module: bundlers see this file.
 */
import type { SocketFactory, SocketLike } from '../monitor/publisher-socket.js';
import { startBrowserMeasureWorker } from './browser-measure-worker.js';
import { SILENT_CLOCK, type Platform } from './platform-interface.js';

const NO_SERVER = 'in a page there is no embedded server: run `npx gradscope serve` and pass its address as the url option';

const NO_FILES = "gradscope: option 'logdir' needs Node's file system; in a page leave it unset (or false) and publish to a server with the url option";

export const browserPlatform: Platform = {
  name: 'browser',
  defaultLogdir: false,
  checkOptions(given) {
    if (typeof given.logdir === 'string') throw new Error(NO_FILES);
    if (given.serve === true && given.url === undefined) console.warn(`gradscope: option serve: true does nothing here (${NO_SERVER})`);
  },
  async openLogdirSink() {
    throw new Error(NO_FILES);
  },
  async embeddedServerSink() {
    return null;
  },
  async socketFactory(): Promise<SocketFactory> {
    const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
    if (!Ctor) throw new Error('this environment has no WebSocket');
    return (url) => new Ctor(url);
  },
  async serveForever() {
    console.warn(`gradscope: serveForever() does nothing here (${NO_SERVER})`);
  },
  async selectWasm() {
    return 'the wasm backend is chosen by the page, not by gradscope';
  },
  startMeasureWorker: startBrowserMeasureWorker,
  // A page is not told how long its main thread waited for a CPU.
  openRunQueueClock: () => SILENT_CLOCK,
  // Nor of its collections: every yield stays charged in full.
  watchGcPauses: null,
  // A page has no exit a run could still write at: its runs go to a server, which marks a run whose page went as incomplete.
  watchExit: () => () => {},
};
