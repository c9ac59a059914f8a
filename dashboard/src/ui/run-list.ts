/**
 * The run list: status, step, loss and one regime badge per layer. Click a
 * row to show that run; tick "compare" on another to overlay its curves.
 */
import { fmt } from '../data/numbers.js';
import type { RunSummary } from '@gradscope/protocol';

export interface RunListHandlers {
  select(runId: string): void;
  compare(runId: string | null): void;
}

export function renderRunList(el: HTMLElement, runs: RunSummary[], primary: string | null, compare: string | null, h: RunListHandlers): void {
  if (runs.length === 0) {
    el.innerHTML = '<p class="empty">No runs yet. Start training with <code>gradscope({ url })</code> or point the server at a logdir.</p>';
    return;
  }
  const table = document.createElement('table');
  table.className = 'runs';
  table.innerHTML = '<thead><tr><th>run</th><th>status</th><th>step</th><th>loss</th><th>layers</th><th>compare</th><th>export</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const r of runs) {
    const tr = document.createElement('tr');
    tr.dataset.runId = r.runId;
    if (r.runId === primary) tr.className = 'selected';
    const name = document.createElement('td');
    name.textContent = r.name || r.runId;
    name.title = r.runId;
    const status = document.createElement('td');
    status.innerHTML = `<span class="status ${r.status}">${r.status}</span>`;
    const step = document.createElement('td');
    step.textContent = String(r.step);
    const loss = document.createElement('td');
    loss.textContent = fmt(r.loss);
    const layers = document.createElement('td');
    for (const l of r.layers) {
      const b = document.createElement('span');
      b.className = 'regime';
      b.dataset.regime = l.regime ?? 'none';
      b.textContent = `${l.name}: ${l.regime ?? '…'}`;
      layers.appendChild(b);
    }
    const cmp = document.createElement('td');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = r.runId === compare;
    box.disabled = r.runId === primary;
    box.title = 'overlay this run on the selected one';
    box.onclick = (ev) => {
      ev.stopPropagation();
      h.compare(box.checked ? r.runId : null);
    };
    cmp.appendChild(box);
    const exp = document.createElement('td');
    const id = encodeURIComponent(r.runId);
    exp.innerHTML = `<a href="api/runs/${id}/export.csv" download>CSV</a> <a href="api/runs/${id}/export.json" download>JSON</a>`;
    exp.onclick = (ev) => ev.stopPropagation();
    tr.append(name, status, step, loss, layers, cmp, exp);
    tr.onclick = () => h.select(r.runId);
    body.appendChild(tr);
  }
  table.appendChild(body);
  el.replaceChildren(table);
}
