import type { RunSummary } from '@gradscope/protocol';
import { describe, expect, it } from 'vitest';
import { RunList } from './run-list.js';

const run = (runId: string, startTime: number, status: RunSummary['status'] = 'live'): RunSummary => ({
  runId, name: runId, status, startTime, lastTime: startTime, lastSeq: 0, step: 0, epoch: 0, loss: null, events: 1, layers: [],
});

describe('RunList', () => {
  it('keeps the whole list from runs and merges runs-changed by runId, newest first', () => {
    const list = new RunList();
    expect(list.replace([run('b', 2), run('a', 1)]).map((r) => r.runId)).toEqual(['b', 'a']);
    const merged = list.change([run('a', 1, 'completed'), run('c', 3)]);
    expect(merged.map((r) => [r.runId, r.status])).toEqual([['c', 'live'], ['b', 'live'], ['a', 'completed']]);
    expect(list.replace([run('a', 1)]).map((r) => r.runId)).toEqual(['a']);
  });
});
