/**
 * Options of startServer(). Defaults spread in, then one precise error per
 * bad option (the ws style), through the protocol's checkOptions.
 */
import { checkOptions, type OptionCheck } from '@gradscope/protocol';
import { isLoopbackHost } from './security.js';

export interface ServerOptions {
  /** The run store: one folder per run, events.jsonl inside. Default './gradscope-runs'. */
  logdir?: string;
  /** Address to bind. Default '127.0.0.1'. Anything but loopback requires `token`. */
  host?: string;
  /** Port; 0 picks a free one. Default 6007. */
  port?: number;
  /** When the port is taken, try the next ones (up to 20). Default false (the embedded server sets it). */
  portFallback?: boolean;
  /** Publisher token; when set, every publisher's hello must carry it. Default none. */
  token?: string;
  /** Folder of the built dashboard. Default: dashboard/dist of this repository, resolved from the package. */
  dashboardDir?: string;
  /** Extra Origins allowed to open websockets (besides same host and loopback). Default []. */
  allowedOrigins?: string[];
  /** Extra Host names answered by a loopback-bound server (a reverse proxy's name); others get 403. Default []. */
  allowedHosts?: string[];
  /** Largest publisher frame in bytes (ws maxPayload). Default 16 MiB. */
  maxPublishPayload?: number;
  /** Largest subscriber frame in bytes. Default 64 KiB. */
  maxSubscribePayload?: number;
  /** Interval of ws pings; a connection missing two is dropped. Default 15000 ms. */
  heartbeatMs?: number;
  /** Frames per second a subscriber may send (burst: twice that); publishers 5× that. Default 200. */
  framesPerSecond?: number;
  /** Replays larger than this many bytes of log are downsampled. Default 4 MiB. */
  replayFullBytes?: number;
  /** A publisher that has not said hello this long after connecting is closed (`not-hello`). Default 10000 ms. */
  helloTimeoutMs?: number;
  /** Logger of the server's few messages (listening, refused connections). Default console.log; null: silent. */
  log?: ((line: string) => void) | null;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'token' | 'dashboardDir' | 'log'>> & {
  token: string | null;
  dashboardDir: string | null;
  log: (line: string) => void;
};

const DEFAULTS = {
  logdir: './gradscope-runs',
  host: '127.0.0.1',
  port: 6007,
  portFallback: false,
  allowedOrigins: [] as string[],
  allowedHosts: [] as string[],
  maxPublishPayload: 16 * 1024 * 1024,
  maxSubscribePayload: 64 * 1024,
  heartbeatMs: 15_000,
  framesPerSecond: 200,
  replayFullBytes: 4 * 1024 * 1024,
  helloTimeoutMs: 10_000,
};

type Check = OptionCheck;
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'a non-empty string');
const posInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'a positive integer');
const CHECKS: Record<keyof ServerOptions, Check> = {
  logdir: str,
  host: str,
  port: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? null : 'an integer port 0..65535'),
  portFallback: (v) => (typeof v === 'boolean' ? null : 'true or false'),
  token: str,
  dashboardDir: str,
  allowedOrigins: (v) => (Array.isArray(v) && v.every((o) => typeof o === 'string') ? null : 'an array of origins'),
  allowedHosts: (v) => (Array.isArray(v) && v.every((o) => typeof o === 'string' && o.length > 0) ? null : 'an array of host names'),
  maxPublishPayload: posInt,
  maxSubscribePayload: posInt,
  heartbeatMs: posInt,
  framesPerSecond: posInt,
  replayFullBytes: posInt,
  helloTimeoutMs: posInt,
  log: (v) => (v === null || typeof v === 'function' ? null : 'a function or null'),
};

export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  checkOptions('gradscope server', options, CHECKS, "startServer({ port: 6007 })");
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ServerOptions;
  const resolved: ResolvedServerOptions = {
    ...DEFAULTS,
    ...defined,
    token: defined.token ?? null,
    dashboardDir: defined.dashboardDir ?? null,
    log: defined.log === null ? () => {} : (defined.log ?? ((line: string) => console.log(line))),
  } as ResolvedServerOptions;
  if (!isLoopbackHost(resolved.host) && resolved.token === null) {
    throw new Error(
      `gradscope server: refusing to bind to ${resolved.host} without a token: anyone who can reach it could publish runs. ` +
        `Pass --token (option 'token'), or bind to 127.0.0.1`,
    );
  }
  return resolved;
}
