import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCellSequence } from '../cell-jacobians.js';
import { probeRun, disposeRecord } from '../probe-run.js';
import { findRecurrentLayers } from '../recurrent-layers.js';
import { useTestBackend } from '../test-helpers/backend.js';
import { probeInputs } from '../test-helpers/compare.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('SimpleRNN structural Lanczos start', () => {
  it('an untrained (orthogonal) SimpleRNN: from it ‖J_t‖ is within 1e-5 of the complete Krylov space (the top unit is the top singular direction)', async () => {
    const n = 96;
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: n, inputShape: [12, 8], recurrentInitializer: tf.initializers.orthogonal({ seed: 2 }), kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const xs = probeInputs(3, 12, 8, 9);
    const before = tf.memory().numTensors;
    const targets = findRecurrentLayers(model);
    const record = probeRun(model, targets, xs)[0]![0]!;
    const { sequence, linearization } = buildCellSequence(targets[0]!.cells[0]!, record, 'analytic');
    disposeRecord(record);
    const start = linearization!.startVectors!();
    // iterations = n: the Krylov space is complete, the value exact up to rounding; it shares only the operator.
    const exact = await spectralNorm(sequence.all(), { iterations: n, tolerance: 0 });
    // As measureModel runs it: a structural start is checked as strictly as a random one (warm: false).
    const got = await spectralNorm(sequence.all(), { start, warm: false });
    const worst = Math.max(...got.map((x, i) => Math.abs(x - exact[i]!) / exact[i]!));
    // The weighted start this replaced left 2–4e-4 on n = 128 (bench/accuracy.mjs).
    expect(worst).toBeLessThan(1e-5);
    start.dispose();
    sequence.dispose();
    expect(tf.memory().numTensors).toBe(before);
    xs.dispose();
    model.dispose();
  });
});
