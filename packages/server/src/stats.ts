/**
 * Counters of everything the server refused or could not do, exposed at
 * GET /api/stats: a malformed frame is never silent, it is answered and
 * counted here.
 */
export interface ServerStats {
  /** Publisher and subscriber connections accepted / open now. */
  publishersAccepted: number;
  subscribersAccepted: number;
  eventsStored: number;
  duplicatesIgnored: number;
  gapsRejected: number;
  gapsAccepted: number;
  invalidJson: number;
  invalidMessages: number;
  invalidEvents: number;
  unknownTypes: number;
  binaryFrames: number;
  oversizeFrames: number;
  floods: number;
  badTokens: number;
  badOrigins: number;
  /** HTTP requests and upgrades refused for their Host header (DNS rebinding). */
  badHosts: number;
  badRequests: number;
  /** Hellos refused: the run has a publisher secret and the hello did not carry it. */
  refusedHellos: number;
  /** Frames of a replaced publisher connection, refused (not stored, not acknowledged). */
  staleFrames: number;
  /** Publishers whose run file the callback's own logdir writer holds (server and callback in one folder). */
  sharedRuns: number;
  storageErrors: number;
  replays: number;
  resyncs: number;
  heartbeatTimeouts: number;
}

export function newStats(): ServerStats {
  return {
    publishersAccepted: 0,
    subscribersAccepted: 0,
    eventsStored: 0,
    duplicatesIgnored: 0,
    gapsRejected: 0,
    gapsAccepted: 0,
    invalidJson: 0,
    invalidMessages: 0,
    invalidEvents: 0,
    unknownTypes: 0,
    binaryFrames: 0,
    oversizeFrames: 0,
    floods: 0,
    badTokens: 0,
    badOrigins: 0,
    badHosts: 0,
    badRequests: 0,
    refusedHellos: 0,
    staleFrames: 0,
    sharedRuns: 0,
    storageErrors: 0,
    replays: 0,
    resyncs: 0,
    heartbeatTimeouts: 0,
  };
}
