// Case 3: `npx gradscope serve` in the project that installed gradscope, a
// training script publishing to it, the run read back over REST and
// exported with `npx gradscope export`.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { interrupt, npm, run } from './project.js';

const dir = inject('projectDir');

describe('as installed: npx gradscope serve', () => {
  it('serves the dashboard, stores a published run completely, and exports it', async () => {
    copyFileSync(fileURLToPath(new URL('../fixtures/publish.mjs', import.meta.url)), join(dir, 'publish.mjs'));
    const server = run('npx', ['gradscope', 'serve', '--logdir', 'served-runs', '--port', '0'], dir);
    try {
      const [, url] = await server.waitFor(/gradscope dashboard → (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
      const home = await fetch(url!).then((r) => r.text());
      expect(home).toContain('<script'); // the built dashboard, not the "no dashboard" page
      expect(home).not.toContain('No dashboard here');

      const training = run(process.execPath, ['publish.mjs', url!.replace(/^http/, 'ws').replace(/\/$/, '')], dir);
      const [, runId] = await training.waitFor(/published run (\S+)/);
      expect(await training.exited, training.output()).toBe(0);

      const { runs } = (await fetch(`${url}api/runs`).then((r) => r.json())) as { runs: { runId: string; status: string; lastSeq: number }[] };
      const summary = runs.find((r) => r.runId === runId)!;
      expect(summary.status).toBe('completed');
      const { events } = (await fetch(`${url}api/runs/${runId}/events?since=-1&limit=10000`).then((r) => r.json())) as { events: { seq: number; type: string }[] };
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      // The script's own logdir file is the first copy; the server has every line of it.
      const local = readFileSync(join(dir, 'gradscope-runs', runId!, 'events.jsonl'), 'utf8').trim().split('\n');
      expect(events.length).toBe(local.length);
      expect(events.filter((e) => e.type === 'train-step').length).toBe(16); // 4 epochs × 4 batches
      expect(events.filter((e) => e.type === 'measurement').length).toBeGreaterThan(0);

      const csv = npm(['exec', '--', 'gradscope', 'export', runId!, '--format', 'csv', '--logdir', 'served-runs'], dir).trim().split('\n');
      expect(csv[0]).toMatch(/^step,/);
      expect(csv.length).toBe(1 + 16);
    } finally {
      // npx itself ends by the signal; the server under it closes cleanly.
      expect([0, 'SIGINT'], server.output()).toContain(await interrupt(server));
    }
  });
});
