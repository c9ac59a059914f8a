/**
 * What the monitor needs from the place it runs in, behind one interface, so
 * that the code a page bundles never names a Node-only module. The default
 * is the browser's (./browser-platform.ts). The package's Node entry
 * (../node.ts, chosen by the `node` export condition) installs the Node
 * platform before anything runs: logdir files, the embedded dashboard
 * server, the `ws` client and the wasm backend are reachable only from there.
 */
import type { EventSink, RunLog } from '../monitor/sinks.js';
import type { SocketFactory } from '../monitor/ws-publisher.js';
import { browserPlatform } from './browser-platform.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** The `logdir` option's default: './gradscope-runs' in Node, false (nothing written) in a page. */
  readonly defaultLogdir: string | false;
  /** Opens the run's events.jsonl in `logdir` (which the publisher reads back from); throws naming the folder when it cannot. */
  openLogdirSink(logdir: string, runId: string): Promise<RunLog>;
  /** A sink feeding the embedded dashboard server for `logdir` (started on first use); null when there is none. */
  embeddedServerSink(logdir: string, runId: string): Promise<EventSink | null>;
  /** How to open a websocket to a `gradscope serve`; throws saying what is missing. */
  socketFactory(): Promise<SocketFactory>;
  /** Keeps the embedded server up until Ctrl-C (resolves at once where there is none). */
  serveForever(): Promise<void>;
  /** Registers and selects the wasm backend; resolves to why not when it cannot (null: selected). */
  selectWasm(): Promise<string | null>;
}

let current: Platform = browserPlatform;

export function platform(): Platform {
  return current;
}

/** Installed once by the Node entry. */
export function installPlatform(p: Platform): void {
  current = p;
}
