/**
 * @gradscope/server: the live server (express + ws on one port), its run
 * store on disk (the logdir), and the `gradscope` CLI (see cli.ts).
 */
export { startServer } from './server.js';
export type { GradscopeServer } from './server.js';
export type { ServerOptions, ResolvedServerOptions } from './options.js';
export type { LocalFeed } from './local-feed.js';
export type { ServerStats } from './stats.js';
export { tokenMatches, originAllowed, isLoopbackHost } from './security.js';
export { RunStore } from './run-store.js';
export { defaultDashboardDir } from './dashboard-dir.js';
export { VERSION } from './version.js';
export { openWebSocket, type WebSocketLike } from './open-web-socket.js';
