/**
 * Stamps the envelope fields a producer must not get wrong: the protocol
 * version, the run id, the gap-free sequence number and the wall time. Every
 * sink of one run must share one sequencer, so that seq means the same event
 * in the log file, on the wire and in the server's store (it is the replay
 * cursor: "send me everything after seq 41").
 */
import { PROTOCOL_VERSION, type EventBody, type EventOf } from './events.js';
import { assertValidRunId } from './run-id.js';

export interface SequencerOptions {
  /** Sequence number of the first event; default 0 (a resumed run continues its log's numbering). */
  firstSeq?: number;
  /** Clock for `time` when the body has none; default Date.now. */
  now?: () => number;
}

export class EventSequencer {
  private seq: number;
  private readonly now: () => number;

  constructor(
    readonly runId: string,
    options: SequencerOptions = {},
  ) {
    assertValidRunId(runId);
    const first = options.firstSeq ?? 0;
    if (!Number.isSafeInteger(first) || first < 0) {
      throw new RangeError(`EventSequencer: firstSeq must be an integer ≥ 0, got ${String(first)}`);
    }
    this.seq = first;
    this.now = options.now ?? Date.now;
  }

  /** The seq the next stamped event will get (= number of events stamped so far, from 0). */
  get nextSeq(): number {
    return this.seq;
  }

  /** The full event for `body`, with the next seq. */
  stamp<B extends EventBody>(body: B): EventOf<B['type']> {
    const { time, type, step, epoch, ...rest } = body;
    // Envelope first, so that log lines read alike: {"version":1,"type":…,"runId":…,"seq":…}.
    const event = {
      version: PROTOCOL_VERSION,
      type,
      runId: this.runId,
      seq: this.seq,
      step,
      epoch,
      time: time ?? this.now(),
      ...rest,
    };
    this.seq++;
    return event as unknown as EventOf<B['type']>;
  }
}
