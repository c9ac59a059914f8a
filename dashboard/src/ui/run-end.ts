/**
 * How the shown run ended, in one sentence under its title: its status, the
 * reason a run gives when it did not simply complete (stopOnNaN stops it, a
 * fit() that threw or a process that exited fails it, a callback that stops
 * training completes it with that reason), what it recorded, how long it ran,
 * and what the monitor cost training (run-end's totals). Without it a run
 * showed only "(failed)" or "(stopped)", and the why was in the console of a
 * process the user may not be watching. A compared run gets a line of its
 * own below (renderCompareEnd).
 */
import { formatRunCost, type RunEndEvent } from '@gradscope/protocol';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A run's length as people say it: 640 ms, 12.3 s, 4 min 5 s, 3 h 20 min. */
export function formatDuration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) return 'an unknown time';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Characters of a reason shown in the sentence, ellipsis included; the whole reason is the line's tooltip. */
export const REASON_CHARS = 160;

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The reason as the sentence shows it: its first line, at most
 * REASON_CHARS characters (code points: an emoji is not split), ending in
 * "…" where anything was left out. Why: a run that failed on an uncaught
 * error carries the error's message, which can run to many lines (tfjs's
 * shape errors list every input), and the sentence under the title must
 * stay short. '' for a reason that is only whitespace.
 */
export function shortReason(reason: string): string {
  const whole = reason.trim();
  const first = [...(whole.split(/\r\n|[\n\r\u2028\u2029]/, 1)[0] ?? '').trim()];
  const cut = first.length < [...whole].length;
  if (first.length > REASON_CHARS || (cut && first.length > REASON_CHARS - 2)) return `${first.slice(0, REASON_CHARS - 1).join('').trimEnd()}…`;
  return cut ? `${first.join('')} …` : first.join('');
}

/** e.g. "Stopped (stopOnNaN: loss is NaN at step 36) after 37 steps: 12 measurements, 2 alerts, 0 clips, in 4.1 s; the monitor took …". */
export function runEndText(end: RunEndEvent): string {
  const t = end.totals;
  const short = end.reason ? shortReason(end.reason) : '';
  const reason = short ? ` (${short})` : '';
  const counts = [plural(t.measurements, 'measurement'), plural(t.alerts, 'alert'), plural(t.clips, 'clip')].join(', ');
  return `${capitalise(end.status)}${reason} after ${plural(t.steps, 'step')}: ${counts}, in ${formatDuration(t.durationMs)}${formatRunCost(t)}.`;
}

/** Shows `end` in `el`, or hides `el` while the run has not ended; `data-status` colours it (style.css); the whole reason is its tooltip. */
export function renderRunEnd(el: HTMLElement, end: RunEndEvent | null): void {
  show(el, end ? runEndText(end) : null, end?.status ?? '', end?.reason ?? '');
}

/** What the dashboard knows of a compared run: its name, the server's status (null: not in the run list), a held run-end, and the latest step known (null: none). */
export interface ComparedRun {
  name: string;
  status: string | null;
  end: RunEndEvent | null;
  step: number | null;
}

/**
 * The compared run's line: its name and how it ended, in renderRunEnd's
 * words once its run-end is held; before that, what the server's run list
 * says. Why: the curves of a compared run that stopped early or failed
 * look like those of a run still training.
 *
 * 'incomplete' is the server's word for a run with no run-end and no
 * publisher connected (packages/server/src/run-state.ts, summary): its
 * process may have died, or it may be writing to a logdir the server
 * reads without publishing, so the line says no more than that.
 */
export function compareEndText(run: ComparedRun): string {
  const at = run.step === null ? '' : `, at step ${run.step}`;
  const how = run.end
    ? runEndText(run.end)
    : run.status === null
      ? run.step === null
        ? 'No events from it yet.'
        : `Not in the server's run list yet${at}.`
      : run.status === 'live'
        ? `Still running${at}.`
        : run.status === 'incomplete'
          ? `No run-end, and nothing is publishing it now${at}.`
          : // The server's list knows the ending before the run's own run-end has been replayed here.
            `${capitalise(run.status)}; its run-end has not arrived yet.`;
  return `Compared with ${run.name} — ${how}`;
}

/** Shows the compared run's line in `el` (compareEndText), hidden when nothing is compared; `data-status` colours it as the shown run's line (style.css), the whole reason is its tooltip. */
export function renderCompareEnd(el: HTMLElement, run: ComparedRun | null): void {
  show(el, run ? compareEndText(run) : null, run ? (run.end?.status ?? run.status ?? '') : '', run?.end?.reason ?? '');
}

function show(el: HTMLElement, text: string | null, status: string, tooltip: string): void {
  if (el.textContent !== (text ?? '')) el.textContent = text ?? '';
  el.hidden = text === null;
  el.dataset.status = status;
  el.title = tooltip;
}
