/**
 * What the monitor needs from the place it runs in, behind one interface, so
 * that the code a page bundles never names a Node-only module. The default
 * is the browser's (./browser-platform.ts). The package's Node entry
 * (../node.ts, chosen by the `node` export condition) installs the Node
 * platform before anything runs: logdir files, the embedded dashboard
 * server, the `ws` client and the wasm backend are reachable only from there.
 */
import { browserPlatform } from './browser-platform.js';
import type { Platform } from './platform-interface.js';

export type { Platform } from './platform-interface.js';

let current: Platform = browserPlatform;

export function platform(): Platform {
  return current;
}

/** Installed once by the Node entry. */
export function installPlatform(p: Platform): void {
  current = p;
}
