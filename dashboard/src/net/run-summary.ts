/** RunSummary as the server sends it (packages/server/CONTRACT.md); not an event, so not in the protocol package. */
import type { CellKind, Regime } from '@gradscope/protocol';

export type RunSummaryStatus = 'live' | 'completed' | 'stopped' | 'failed' | 'incomplete';

export interface RunSummary {
  runId: string;
  name: string;
  status: RunSummaryStatus;
  startTime: number;
  lastTime: number;
  lastSeq: number;
  step: number;
  epoch: number;
  loss: number | null;
  events: number;
  layers: { name: string; kind: CellKind; units: number; regime: Regime | null }[];
}
