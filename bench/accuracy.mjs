#!/usr/bin/env node
/**
 * How accurate the per-step norms ‖J_t‖ are: the per-step Lanczos with its
 * defaults (cold, and warm-started from a first run on the same maps),
 * against a 256-step run of the same Lanczos (tolerance 0), for freshly
 * initialised models and after 30 training steps. Not part of npm run bench
 * (about a minute); the numbers are quoted in RESULTS.md.
 *
 *   node bench/accuracy.mjs [--before <dir>]   <dir>: a tree made by bench/at-commit.sh,
 *                                              whose spectralNorm is compared as well
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { spectralNorm, stepNorms } from '@gradscope/core';
import { buildCellSequence } from '../packages/tfjs/dist/cell-jacobians.js';
import { batchedLanczos } from '../packages/core/dist/lanczos.js';
import { probeRun } from '../packages/tfjs/dist/probe-run.js';
import { findRecurrentLayers } from '../packages/tfjs/dist/recurrent-layers.js';
import { buildModel, makeData, useBackend } from './lib/models.mjs';

const i = process.argv.indexOf('--before');
const before = i > 0 ? await import(pathToFileURL(path.resolve(process.argv[i + 1], 'packages/core/dist/spectral-norm.js')).href) : null;
await useBackend('wasm');
for (const cell of ['lstm', 'gru', 'simpleRNN']) {
  for (const train of [0, 30]) {
    const model = buildModel(cell, 128, 100);
    const data = makeData(32, 100);
    for (let s = 0; s < train; s++) await model.trainOnBatch(data.xs, data.ys);
    const targets = findRecurrentLayers(model);
    const records = probeRun(model, targets, data.xs.slice(0, 8));
    const { sequence, linearization } = buildCellSequence(targets[0].cells[0], records[0][0], 'analytic');
    const op = sequence.all();
    // Cold as measureModel runs it: from the cell's structural start where it has one (SimpleRNN).
    const start = linearization?.startVectors?.();
    const reference = (await batchedLanczos(op, { iterations: 256, tolerance: 0, checkEvery: 256, vectors: 'none', seed: 7 })).sigma;
    const worst = (xs) => Math.max(...xs.map((x, k) => (reference[k] - x) / reference[k])).toExponential(1);
    const first = await stepNorms(sequence, { vectors: true });
    const warm = await stepNorms(sequence, { start: first.vectors });
    first.vectors.dispose();
    const old = before ? `, at --before ${worst(await before.spectralNorm(op))}` : '';
    const cold = worst(await spectralNorm(op, start ? { start } : {}));
    const random = start ? `, cold from a random start ${worst(await spectralNorm(op))}` : '';
    start?.dispose();
    console.log(`${cell} n=128 T=100 S=8, ${train} training steps: worst relative error of ‖J_t‖: cold ${cold}${random}, warm ${worst(warm.stepNorm.flat())}${old}`);
    sequence.dispose();
    records.flat().forEach((r) => r.x.dispose() || r.sPrev.dispose() || r.mask?.dispose());
    model.dispose();
  }
}
