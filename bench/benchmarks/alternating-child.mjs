/**
 * One training process of benchmark 7's alternating runs
 * (alternating-runs.mjs): model.fit, round after round over the same
 * batches, monitored or not, until the parent kills it. It takes turns with
 * the other variants' processes by stopping itself — and with it its process
 * group, which holds its measurement worker — at the first step end after
 * its turn's time is up; the parent resumes it (SIGCONT) for its next turn.
 *
 * Why it stops itself, not the parent: stopped from outside, a process
 * freezes inside a training step, whose wall time the monitor's cadence then
 * counts as seconds of training, and the turn's steps are no longer whole.
 * Stopped at a step end (after the monitor's own onBatchEnd), each turn is
 * whole steps, from the moment it resumes to its last step's end.
 *
 * argv[2]: JSON { cell, units, steps, batch, turnMs, cycles, warmSteps,
 * options } (options: gradscope's, or null for plain training). The turn
 * after the `cycles` timed ones is untimed and longer (FLUSH_TURN_MS): the
 * monitor's sink writes its events once a second, and those of the last
 * timed turn, with the measurement the worker had in hand, must reach the
 * parent's count. Messages to the
 * parent: { logdir } once; { warm: true } as it stops after the warm-up;
 * then per turn, as it stops, { steps, ms, lastStep } (lastStep: the index
 * of the turn's last training step, counted from 0 as the monitor counts);
 * { error } if training fails. The parent waits for a message before it
 * looks for the stop: polling through a turn would take CPU from a
 * monitored run's two busy cores, and from a plain run's idle one nothing.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gradscope } from '@gradscope/tfjs';
import { buildModel, makeData, makeProbe, useBackend } from '../lib/models.mjs';

const { cell, units, steps, batch, turnMs, cycles, warmSteps, options } = JSON.parse(process.argv[2]);
/** The untimed turn's length: two of the sink's one-second flushes, and the worker's answer before them. */
const FLUSH_TURN_MS = 2500;
await useBackend('wasm');

const model = buildModel(cell, units, steps);
const data = makeData(100 * batch, steps, 100);
const probe = makeProbe(data);
const logdir = mkdtempSync(path.join(os.tmpdir(), 'gradscope-bench-alternating-'));
process.send({ logdir });
const monitor = options ? gradscope({ probe, every: 1, logdir, console: false, serve: false, ...options }) : null;

let done = 0;
let turns = 0;
let turn = null; // { resumed, steps, lastEnd } while a turn runs; null during the warm-up

/** Stops this process and its group (the worker with it); returns when the parent resumes it. */
function stopHere() {
  process.kill(-process.pid, 'SIGSTOP');
  turn = { resumed: performance.now(), steps: 0, lastEnd: 0 };
}

const clock = new tf.CustomCallback({
  onBatchEnd: async () => {
    const end = performance.now();
    done++;
    if (turn === null) {
      if (done >= warmSteps) {
        process.send({ warm: true });
        stopHere();
      }
      return;
    }
    turn.steps++;
    turn.lastEnd = end;
    if (end - turn.resumed >= (turns < cycles ? turnMs : Math.max(turnMs, FLUSH_TURN_MS))) {
      turns++;
      process.send({ steps: turn.steps, ms: turn.lastEnd - turn.resumed, lastStep: done - 1 });
      stopHere();
    }
  },
});

try {
  // Epoch after epoch until killed: one fit() is one monitored run, its worker started once.
  await model.fit(data.xs, data.ys, { batchSize: batch, epochs: 1_000_000, shuffle: false, verbose: 0, callbacks: monitor ? [monitor, clock] : [clock] });
} catch (err) {
  process.send({ error: err instanceof Error ? err.message : String(err) });
}
