/**
 * Server → client frames as strings. Events are already-encoded lines, so
 * a batch is built by concatenation: no re-encoding per subscriber.
 */
import type { RunSummary, ServerErrorCode } from '@gradscope/protocol';

export const eventsFrame = (runId: string, lines: string[]) => `{"type":"events","runId":${JSON.stringify(runId)},"events":[${lines.join(',')}]}`;

export const replayFrame = (runId: string, lines: string[], downsampled: boolean, lastSeq: number) =>
  `{"type":"replay","runId":${JSON.stringify(runId)},"events":[${lines.join(',')}],"downsampled":${downsampled},"lastSeq":${lastSeq}}`;

export const runsFrame = (runs: RunSummary[]) => JSON.stringify({ type: 'runs', runs });

/** Changed runs' summaries, each already encoded. */
export const runsChangedFrame = (summaries: string[]) => `{"type":"runs-changed","runs":[${summaries.join(',')}]}`;

export const errorFrame = (code: ServerErrorCode, message: string) => JSON.stringify({ type: 'error', code, message });
