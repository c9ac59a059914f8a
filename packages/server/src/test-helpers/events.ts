/** Synthetic but valid runs for the server tests. */
import { encodeEvent, exampleEvent, type GradscopeEvent } from '@gradscope/protocol';

/** A run of `n` events: run-start, train-steps (a measurement every 10th), run-end last when `end`. */
export function makeRun(runId: string, n: number, end = true): GradscopeEvent[] {
  const t0 = 1_700_000_000_000;
  const events: GradscopeEvent[] = [];
  for (let seq = 0; seq < n; seq++) {
    const step = Math.max(0, seq - 1);
    const base = { version: 1, runId, seq, step, epoch: 0, time: t0 + seq };
    if (seq === 0) events.push({ ...exampleEvent('run-start'), ...base, name: `run ${runId}` });
    else if (end && seq === n - 1) events.push({ ...exampleEvent('run-end'), ...base });
    else if (seq % 10 === 5) events.push({ ...exampleEvent('measurement'), ...base });
    else events.push({ ...exampleEvent('train-step'), ...base, loss: 1 / seq });
  }
  return events;
}

export const lines = (events: GradscopeEvent[]) => events.map(encodeEvent);
