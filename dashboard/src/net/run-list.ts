/**
 * The run list as the server sends it: the whole list once on connect
 * (`runs`), then only the runs that started or changed (`runs-changed`),
 * so a server with thousands of runs does not resend them all twice a
 * second. Kept newest first, as the server orders it.
 */
import type { RunSummary } from '@gradscope/protocol';

export class RunList {
  private readonly byId = new Map<string, RunSummary>();

  /** The whole list (on connect): forgets runs it does not name. */
  replace(runs: RunSummary[]): RunSummary[] {
    this.byId.clear();
    return this.change(runs);
  }

  /** Changed or new runs, each replacing the summary with its runId. */
  change(runs: RunSummary[]): RunSummary[] {
    for (const r of runs) this.byId.set(r.runId, r);
    return [...this.byId.values()].sort((a, b) => b.startTime - a.startTime || (a.runId < b.runId ? 1 : -1));
  }
}
