// Case 6: the page of case 4 under the user's Vite dev server (`vite`, no
// build). The server serves the measurement worker's modules unbundled, and
// with no configuration a CommonJS module of tfjs stops the worker as it
// starts: the page must not get an uncaught error, the run measures on the
// training thread and says why and what to add; with the one line the
// README gives, the worker measures.
import { describe, expect, inject, it } from 'vitest';
import { pagesPublishing, type PageEvent } from './page-runs.js';
import { interrupt, run } from './project.js';

const dir = inject('projectDir');
const pages = pagesPublishing('dev-runs', ['page', 'dev-page.mjs']);

/** Trains the page once under a dev server of that variant, on the cpu backend; its page errors and the run's events. */
async function trainUnderDevServer(variant: 'plain' | 'include'): Promise<{ errors: string[]; events: PageEvent[] }> {
  const dev = run(process.execPath, ['dev-page.mjs', '8', variant], dir);
  try {
    const [, url] = (await dev.waitFor(/dev server → (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000)) as unknown as [string, string];
    // On the cpu backend: what is tested is the worker's start, and software WebGL would add about 15 s a run.
    const { errors, events, result } = await pages.train<{ backend: string }>(`${url}index.html?backend=cpu`);
    expect(result.backend).toBe('cpu'); // the page took ?backend=cpu, and gradscope kept it
    return { errors, events };
  } finally {
    await interrupt(dev);
  }
}

describe('as installed: the page under Vite 8 dev server', () => {
  it('with no configuration: no uncaught error in the page; measures on the thread and says what to add', async () => {
    const { errors, events } = await trainUnderDevServer('plain');
    expect(errors).toEqual([]);
    expect(events.find((e) => e.type === 'run-end')?.status).toBe('completed');
    const fellBack = events.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread').map((e) => e.message);
    expect(fellBack).toEqual([expect.stringMatching(/module is not defined.*optimizeDeps: \{ include: \['@gradscope\/core'\] \}/)]);
    const measuredIn = events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn);
    expect(measuredIn.length).toBeGreaterThan(0);
    expect(measuredIn).toEqual(measuredIn.map(() => 'thread'));
  });

  it("with the README's optimizeDeps line: the worker measures", async () => {
    const { errors, events } = await trainUnderDevServer('include');
    expect(errors).toEqual([]);
    expect(events.filter((e) => e.type === 'alert' && e.kind === 'measured-on-thread')).toEqual([]);
    expect(events.filter((e) => e.type === 'measurement').map((e) => e.measuredIn)).toContain('worker');
  });
});
