/**
 * A run whose process gets Ctrl-C (SIGINT), SIGTERM or SIGHUP: where the
 * program does not handle the signal, the run writes its events and a
 * failed run-end naming it, and the process still ends by the signal; where
 * the program or a library handles it, its handler decides. Real child Node
 * processes on the built package, real files (process-exit.ts).
 */
import { describe, expect, it } from 'vitest';
import { runModuleScript, tinyGruScript } from '../test-helpers/module-script.js';
import { ofType, onlyRun, tempLogdirsPerTest } from '../test-helpers/runs.js';

const logdir = tempLogdirsPerTest();

describe('a run at a signal', () => {
  /** A custom loop of `steps` steps measured every step, which sends itself `signal` after step `at` (as Ctrl-C would). */
  const signalledLoop = (dir: string, signal: string, at: number, extra = '', steps = 50) =>
    tinyGruScript(`
      ${extra}
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, worker: false, every: 1, budget: Infinity });
      for (let i = 0; i < ${steps}; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        await monitor.step(model, { loss });
        if (i === ${at}) process.kill(process.pid, '${signal}');
      }
      console.log('the loop ran to its end');
    `);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`is ended by ${signal} the program does not handle: every recorded step is written, run-end says so, and the process still ends by the signal`, async () => {
      // Found by review: Ctrl-C lost up to a second of events the console had shown (the writer flushes once a
      // second), and the run-end; the run showed as incomplete.
      const dir = logdir();
      const ended = await runModuleScript(signalledLoop(dir, signal, 6)).then(
        ({ stdout }) => ({ signal: null, stdout }),
        (err: Error & { signal?: string; stdout?: string }) => ({ signal: err.signal ?? null, stdout: err.stdout ?? '' }),
      );
      // Ended by the signal, as without the monitor; the loop did not go on.
      expect(ended).toEqual({ signal, stdout: '' });
      const { events, unlocked } = onlyRun(dir);
      // The signal is handled between the loop's awaits: at step 6's end or inside step 7.
      const steps = ofType(events, 'train-step').map((e) => e.step);
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
      expect(steps.length).toBeGreaterThanOrEqual(7);
      expect(ofType(events, 'measurement').map((e) => e.step)).toEqual(steps.slice(0, ofType(events, 'measurement').length));
      expect(ofType(events, 'measurement').length).toBeGreaterThanOrEqual(7);
      const ends = ofType(events, 'run-end');
      expect(ends.map((e) => [e.status, e.reason, e.step, e.totals.steps])).toEqual([
        ['failed', `the process was ended by ${signal}${signal === 'SIGINT' ? ' (Ctrl-C)' : ''} while the run was open`, steps.length - 1, steps.length],
      ]);
      expect(events.at(-1)!.type).toBe('run-end');
      expect(unlocked).toBe(true);
    });
  }

  it('ends the runs of two copies of gradscope in one process at Ctrl-C, and the process still ends by it', async () => {
    // Two installed versions: each copy's listener is not the program's handler to the other.
    const script = `
      const one = await import('./dist/platform/node/process-exit.js');
      const two = await import('./dist/platform/node/process-exit.js?another-copy');
      if (one.watchProcessExit === two.watchProcessExit) throw new Error('one copy');
      for (const [name, copy] of [['one', one], ['two', two]]) {
        copy.watchProcessExit({ uncaught() {}, exit() {}, signal: (s) => console.log(name + ' ends its runs at ' + s) });
      }
      process.kill(process.pid, 'SIGINT');
      setTimeout(() => console.log('still running'), 2000);
    `;
    const ended = await runModuleScript(script).then(
      ({ stdout }) => ({ signal: null, stdout }),
      (err: Error & { signal?: string; stdout?: string }) => ({ signal: err.signal ?? null, stdout: err.stdout ?? '' }),
    );
    expect(ended.signal).toBe('SIGINT');
    expect(ended.stdout.trim().split('\n').sort()).toEqual(['one ends its runs at SIGINT', 'two ends its runs at SIGINT']);
  });

  /** How a child process ended: the signal that ended it (null: it exited), and its output. */
  const ending = (script: string) =>
    runModuleScript(script).then(
      ({ stdout }) => ({ signal: null as string | null, stdout }),
      (err: Error & { signal?: string; stdout?: string }) => ({ signal: err.signal ?? null, stdout: err.stdout ?? '' }),
    );

  it("lets a library's handler that re-sends the signal when it is the last listener (signal-exit's rule) end the process, the run's events written first", async () => {
    // Found by review: each listener saw the other and stepped back, and Ctrl-C ended nothing.
    const dir = logdir();
    const library = `
      const last = (signal) => { if (process.listeners(signal).every((l) => l === last)) { process.off(signal, last); process.kill(process.pid, signal); } };
      process.on('SIGINT', last);
    `;
    const ended = await ending(signalledLoop(dir, 'SIGINT', 6, library));
    expect(ended).toEqual({ signal: 'SIGINT', stdout: '' });
    const { events } = onlyRun(dir);
    // No run-end (the library ends the process by the signal, not by exit), but every recorded step is in the file.
    const steps = ofType(events, 'train-step').map((e) => e.step);
    expect(steps.length).toBeGreaterThanOrEqual(7);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
    expect(ofType(events, 'run-end')).toEqual([]);
  });

  it("leaves Ctrl-C to the program's process.once handler added before the run (a graceful stop): the run ends as the program ends it", async () => {
    // Found by review: Node takes a once handler off before calling it, and the watch then took the signal for unhandled.
    const dir = logdir();
    const script = tinyGruScript(`
      let stop = false;
      process.once('SIGINT', () => { stop = true; console.log('stopping after this step'); });
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, worker: false, every: 1, budget: Infinity });
      for (let i = 0; i < 50 && !stop; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        await monitor.step(model, { loss });
        if (i === 3) process.kill(process.pid, 'SIGINT');
      }
      await monitor.close();
      console.log('saved');
    `);
    const ended = await ending(script);
    expect(ended).toEqual({ signal: null, stdout: 'stopping after this step\nsaved\n' });
    const { events } = onlyRun(dir);
    expect(ofType(events, 'run-end').map((e) => e.status)).toEqual(['completed']);
  });

  it('does not lose a Ctrl-C that arrives in synchronous work just before the run ends: the process still ends by it', async () => {
    // Found by review: the run's end took the listener off before the event loop had turned, and the signal was lost.
    const dir = logdir();
    const script = tinyGruScript(`
      const monitor = gradscope({ probe: { xs: xs.slice(0, 2), ys: ys.slice(0, 2) }, logdir: ${JSON.stringify(dir)}, console: false, serve: false, worker: false });
      for (let i = 0; i < 3; i++) {
        const loss = await model.trainOnBatch(xs, ys);
        await monitor.step(model, { loss });
      }
      process.kill(process.pid, 'SIGINT');
      const t = Date.now();
      while (Date.now() - t < 200) {} // synchronous work: the signal waits for the event loop
      await monitor.close();
      setTimeout(() => console.log('still running'), 1000);
    `);
    const ended = await ending(script);
    expect(ended).toEqual({ signal: 'SIGINT', stdout: '' });
    expect(ofType(onlyRun(dir).events, 'run-end').length).toBe(1);
  });

  it("leaves a signal the program handles to its handler: the loop goes on, and the run ends as the program ends it", async () => {
    const dir = logdir();
    const { stdout } = await runModuleScript(signalledLoop(dir, 'SIGINT', 3, "process.on('SIGINT', () => console.log('the program saw SIGINT'));", 12).replace("console.log('the loop ran to its end');", "console.log('the loop ran to its end'); await monitor.close();"));
    expect(stdout).toContain('the program saw SIGINT');
    expect(stdout).toContain('the loop ran to its end');
    const { events } = onlyRun(dir);
    expect(ofType(events, 'train-step').length).toBe(12);
    expect(ofType(events, 'run-end').map((e) => e.status)).toEqual(['completed']);
  });
});
