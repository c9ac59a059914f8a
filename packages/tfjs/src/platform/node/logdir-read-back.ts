import type { SpooledEvent } from '../../monitor/publish-spool.js';

/** Reads events [from, to] of a run back from its events.jsonl (the Node publisher's spool). */
export function logdirReadBack(logdir: string, runId: string): (from: number, to: number) => Promise<SpooledEvent[]> {
  return async (from, to) => {
    const { iterateRunEvents, runEventsPath } = await import('@gradscope/protocol/node');
    const { encodeEvent } = await import('@gradscope/protocol');
    const out: SpooledEvent[] = [];
    for await (const line of iterateRunEvents(runEventsPath(logdir, runId))) {
      const e = line.event;
      if (!e || e.seq < from) continue;
      if (e.seq > to) break;
      out.push({ seq: e.seq, line: encodeEvent(e) });
    }
    return out;
  };
}
