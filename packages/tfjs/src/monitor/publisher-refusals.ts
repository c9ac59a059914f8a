/**
 * Error codes after which reconnecting would only repeat the refusal: a
 * wrong token, frames the server cannot parse (a bug, not weather), or a
 * run that is not this publisher's to write (another connection holds its
 * secret, the id belongs to an older run, the run has ended). Everything
 * else — `not-hello` (the page was too busy to say hello in time),
 * `replaced`, `storage`, `flood`, a dropped connection — is transient:
 * reconnect with backoff and resend from the server's lastSeq.
 */
export const FINAL_REFUSALS: ReadonlySet<string> = new Set(['bad-token', 'bad-origin', 'invalid-json', 'invalid-message', 'unknown-type', 'invalid-event', 'wrong-run', 'binary', 'not-publisher', 'run-exists', 'run-ended']);
