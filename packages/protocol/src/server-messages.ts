/**
 * The live server's messages (PROTOCOL.md "Server routes and websocket
 * messages"): what publishers (training processes) and subscribers
 * (dashboards) send over the websocket, what the server answers, and the
 * RunSummary of the REST routes. Events inside messages are encoded events
 * (encodeEvent); decode each with decodeEvent/validateEvent, never trust
 * plain JSON.parse for them. Browser-safe.
 */
import { ProtocolError } from './errors.js';
import type { RunStatus } from './events.js';
import type { CellKind, Regime } from './measurement.js';
import { runIdProblem } from './run-id.js';

/** 'live': a publisher is connected now; 'incomplete': no run-end and no publisher (the training process died). */
export type RunSummaryStatus = 'live' | RunStatus | 'incomplete';
export const RUN_SUMMARY_STATUSES: readonly RunSummaryStatus[] = ['live', 'completed', 'stopped', 'failed', 'incomplete'];

export interface RunSummary {
  runId: string;
  name: string;
  status: RunSummaryStatus;
  /** Wall time (ms since the epoch) of the first and the latest event. */
  startTime: number;
  lastTime: number;
  /** Highest seq stored; -1 when the run has no event yet. */
  lastSeq: number;
  step: number;
  epoch: number;
  /** Latest train-step loss (null when unknown or non-finite). */
  loss: number | null;
  /** Events stored. */
  events: number;
  layers: { name: string; kind: CellKind; units: number; regime: Regime | null }[];
}

/** Websocket paths on the server's one port. */
export const PUBLISH_PATH = '/ws/publish';
export const SUBSCRIBE_PATH = '/ws/subscribe';

/**
 * ws close codes the server uses. 1008 policy (token, flood), 1009 too big,
 * 1003 binary, 1011 storage failure, 4400 malformed, 4403 a hello without
 * the run's publisher secret, 4409 replaced by the run's own publisher,
 * 4410 the run id is taken by another run (or the run has ended).
 */
export const CLOSE_CODES = {
  policy: 1008,
  tooBig: 1009,
  unsupportedData: 1003,
  internal: 1011,
  malformed: 4400,
  notPublisher: 4403,
  replaced: 4409,
  runExists: 4410,
} as const;

/** The `code` of an error frame. */
export type ServerErrorCode =
  | 'invalid-json'
  | 'invalid-message'
  | 'unknown-type'
  | 'invalid-event'
  | 'bad-token'
  | 'bad-origin'
  | 'not-hello'
  | 'wrong-run'
  | 'gap'
  | 'too-big'
  | 'binary'
  | 'flood'
  | 'replaced'
  | 'not-publisher'
  | 'run-exists'
  | 'run-ended'
  | 'unknown-run'
  | 'storage';

// ---- publisher → server ----------------------------------------------------
export interface HelloMessage {
  type: 'hello';
  runId: string;
  token?: string;
  /**
   * The run's publisher secret from an earlier `welcome` of this run: a
   * reconnecting publisher proves with it that it is the run's publisher.
   * Omitted on the first hello of a run.
   */
  secret?: string;
}
/**
 * `gap: true` (optional, an extension for publishers that had to drop events
 * from a bounded spool): the publisher declares the events between the
 * server's lastSeq and this batch's first seq lost; the server accepts the
 * batch instead of answering 'gap', and counts it.
 */
export interface PublishEventsMessage {
  type: 'events';
  events: unknown[];
  gap?: boolean;
}
export type PublisherMessage = HelloMessage | PublishEventsMessage;

// ---- server → publisher ----------------------------------------------------
export interface WelcomeMessage {
  type: 'welcome';
  runId: string;
  lastSeq: number;
  /** The run's publisher secret (random, 192 bits): send it in every later hello of this run. */
  secret: string;
}
export interface AckMessage {
  type: 'ack';
  lastSeq: number;
}
export interface ErrorMessage {
  type: 'error';
  message: string;
  code: ServerErrorCode;
}

// ---- subscriber → server ---------------------------------------------------
export interface SubscribeMessage {
  type: 'subscribe';
  runs: string[] | '*';
  /** Per run, the last seq the client already has: replay starts after it. */
  since?: Record<string, number>;
}
export interface UnsubscribeMessage {
  type: 'unsubscribe';
  runs: string[];
}
export type SubscriberMessage = SubscribeMessage | UnsubscribeMessage;

// ---- server → subscriber ---------------------------------------------------
/** The whole run list: sent once, on connect. */
export interface RunsMessage {
  type: 'runs';
  runs: RunSummary[];
}
/** Runs that started or changed since the last runs/runs-changed message: each replaces the summary with its runId. */
export interface RunsChangedMessage {
  type: 'runs-changed';
  runs: RunSummary[];
}
export interface ReplayMessage {
  type: 'replay';
  runId: string;
  /** Encoded events, seq ascending. */
  events: unknown[];
  downsampled: boolean;
  /** seq of the last event the replay covers (-1 if none): live events follow from lastSeq + 1. */
  lastSeq: number;
}
export interface LiveEventsMessage {
  type: 'events';
  runId: string;
  events: unknown[];
}
export type ServerMessage = WelcomeMessage | AckMessage | ErrorMessage | RunsMessage | RunsChangedMessage | ReplayMessage | LiveEventsMessage;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function runIds(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw new ProtocolError(path, 'must be an array of run ids');
  if (value.length > 10_000) throw new ProtocolError(path, `at most 10000 run ids, got ${value.length}`);
  value.forEach((id, i) => {
    const problem = runIdProblem(id);
    if (problem) throw new ProtocolError(`${path}[${i}]`, problem);
  });
  return value as string[];
}

/** Validates a parsed publisher frame; throws ProtocolError naming the field. Events are checked separately. */
export function parsePublisherMessage(x: unknown): PublisherMessage {
  if (!isObject(x)) throw new ProtocolError('message', 'must be a JSON object');
  if (x['type'] === 'hello') {
    const problem = runIdProblem(x['runId']);
    if (problem) throw new ProtocolError('hello.runId', problem);
    if (x['token'] !== undefined && typeof x['token'] !== 'string') throw new ProtocolError('hello.token', 'must be a string');
    if (x['secret'] !== undefined && (typeof x['secret'] !== 'string' || x['secret'].length > 256)) throw new ProtocolError('hello.secret', 'must be the string welcome.secret gave');
    return x as unknown as HelloMessage;
  }
  if (x['type'] === 'events') {
    if (!Array.isArray(x['events'])) throw new ProtocolError('events.events', 'must be an array of events');
    if (x['gap'] !== undefined && typeof x['gap'] !== 'boolean') throw new ProtocolError('events.gap', 'must be a boolean');
    return x as unknown as PublishEventsMessage;
  }
  throw new ProtocolError('message.type', `unknown publisher message type ${JSON.stringify(x['type'])} (known: hello, events)`);
}

/** Validates a parsed subscriber frame; throws ProtocolError naming the field. */
export function parseSubscriberMessage(x: unknown): SubscriberMessage {
  if (!isObject(x)) throw new ProtocolError('message', 'must be a JSON object');
  if (x['type'] === 'subscribe') {
    if (x['runs'] !== '*') runIds(x['runs'], 'subscribe.runs');
    const since = x['since'];
    if (since !== undefined) {
      if (!isObject(since)) throw new ProtocolError('subscribe.since', 'must be an object { runId: lastSeq }');
      for (const [id, seq] of Object.entries(since)) {
        const problem = runIdProblem(id);
        if (problem) throw new ProtocolError(`subscribe.since`, `key ${JSON.stringify(id).slice(0, 60)}: ${problem}`);
        if (!Number.isInteger(seq) || (seq as number) < -1) throw new ProtocolError(`subscribe.since.${id}`, 'must be an integer ≥ -1');
      }
    }
    return x as unknown as SubscribeMessage;
  }
  if (x['type'] === 'unsubscribe') {
    runIds(x['runs'], 'unsubscribe.runs');
    return x as unknown as UnsubscribeMessage;
  }
  throw new ProtocolError('message.type', `unknown subscriber message type ${JSON.stringify(x['type'])} (known: subscribe, unsubscribe)`);
}
