/**
 * Glue: the run stores, which run is shown (and which is compared), the
 * connection, and the views. Every incoming message only merges into a store
 * and requests a frame; the views render at most once per animation frame.
 */
import { decodeEvent, type GradscopeEvent } from '@gradscope/protocol';
import { RunStore } from './data/run-store.js';
import { Connection, type ConnectionState } from './net/connection.js';
import type { RunSummary } from '@gradscope/protocol';
import { StepCursor } from './ui/cursor.js';
import { FrameScheduler } from './ui/frame.js';
import { LayerView } from './ui/layer-view.js';
import { ModelView } from './ui/model-view.js';
import { renderCompareEnd, renderRunEnd, type ComparedRun } from './ui/run-end.js';
import { renderRunList } from './ui/run-list.js';

export class App {
  readonly stores = new Map<string, RunStore>();
  runs: RunSummary[] = [];
  primary: string | null = null;
  compare: string | null = null;
  readonly frames = new FrameScheduler(() => this.render());
  readonly cursor: StepCursor;
  readonly model: ModelView;
  layers: LayerView[] = [];
  private runsDirty = true;
  private readonly conn: Connection;

  constructor(private readonly root: { runs: HTMLElement; status: HTMLElement; cursor: HTMLElement; model: HTMLElement; layers: HTMLElement; title: HTMLElement; ending: HTMLElement; compareEnding: HTMLElement }, wsUrl: string) {
    this.cursor = new StepCursor(root.cursor, () => this.frames.request());
    const pick = (step: number) => this.cursor.pick(step);
    this.model = new ModelView(root.model, pick, () => this.frames.request());
    this.conn = new Connection(wsUrl, {
      runs: (runs) => this.onRuns(runs),
      events: (runId, events, replay) => this.ingest(runId, events, replay?.downsampled ?? false),
      state: (s, d) => this.onState(s, d),
      since: () => Object.fromEntries([...this.stores].map(([id, s]) => [id, s.lastSeq])),
    });
    this.conn.start();
    this.frames.request();
  }

  store(runId: string): RunStore {
    let s = this.stores.get(runId);
    if (!s) this.stores.set(runId, (s = new RunStore(runId)));
    return s;
  }

  ingest(runId: string, events: GradscopeEvent[], downsampled = false): void {
    const s = this.store(runId);
    if (downsampled) s.downsampled = true;
    s.merge(events);
    if (this.primary === null) this.select(runId);
    this.frames.request();
  }

  /** Test and benchmark hook: merge wire-encoded events as if they came from the server. */
  injectEncoded(runId: string, lines: string[]): void {
    this.ingest(runId, lines.map((l) => decodeEvent(l)));
  }

  private onRuns(runs: RunSummary[]): void {
    this.runs = runs;
    this.runsDirty = true;
    // Default: the newest live run, else the newest run (runs arrive newest first).
    if (this.primary === null && runs.length) this.select((runs.find((r) => r.status === 'live') ?? runs[0]!).runId);
    this.frames.request();
  }

  private onState(state: ConnectionState, detail: string): void {
    this.root.status.dataset.state = state;
    this.root.status.textContent = state === 'open' ? 'connected' : state === 'connecting' ? 'connecting…' : `server unreachable — ${detail}`;
  }

  select(runId: string): void {
    if (this.primary === runId) return;
    this.primary = runId;
    if (this.compare === runId) this.compare = null;
    this.cursor.follow = true;
    this.layers.forEach((l) => l.el.remove());
    this.layers = [];
    this.resubscribe();
  }

  setCompare(runId: string | null): void {
    this.compare = runId;
    this.resubscribe();
  }

  private resubscribe(): void {
    this.conn.subscribe([this.primary, this.compare].filter((r): r is string => r !== null));
    this.runsDirty = true;
    this.frames.request();
  }

  /** What the compared run's line says of `store`'s run: the run list's entry and the store, whichever knows more. */
  private comparedRun(store: RunStore): ComparedRun {
    const listed = this.runs.find((r) => r.runId === store.runId);
    const anyEvent = store.lastSeq >= 0;
    return {
      name: store.start?.name ?? listed?.name ?? store.runId,
      status: listed?.status ?? null,
      end: store.end,
      step: listed || anyEvent ? Math.max(store.latestStep(), listed?.step ?? 0) : null,
    };
  }

  private render(): void {
    if (this.runsDirty) {
      renderRunList(this.root.runs, this.runs, this.primary, this.compare, { select: (r) => this.select(r), compare: (r) => this.setCompare(r) });
      this.runsDirty = false;
    }
    if (!this.primary) return;
    const store = this.store(this.primary);
    const compare = this.compare ? this.store(this.compare) : null;
    const summary = this.runs.find((r) => r.runId === this.primary);
    // A run-end held decides (the server's run list can say live a moment longer); else the server's
    // status (incomplete: the run ended without a run-end), else, before the list arrives, live.
    const status = store.end?.status ?? summary?.status ?? 'live';
    this.root.title.textContent = `${store.start?.name ?? this.primary} (${status})${store.downsampled ? ' · history downsampled' : ''}`;
    renderRunEnd(this.root.ending, store.end);
    renderCompareEnd(this.root.compareEnding, compare ? this.comparedRun(compare) : null);
    const step = this.cursor.resolve(store.latestStep());
    const names = store.layerNames();
    if (names.join('\n') !== this.layers.map((l) => l.layer).join('\n')) {
      this.layers.forEach((l) => l.el.remove());
      this.layers = names.map((n) => new LayerView(this.root.layers, n, (s) => this.cursor.pick(s)));
    }
    this.model.render(store, step, compare);
    for (const l of this.layers) l.render(store, step, compare);
  }
}
