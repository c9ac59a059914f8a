import { describe, expect, it } from 'vitest';
import { gradRatio, isComplete, lastLayer, measurements, runExample } from './run-example.mjs';

// Each example in a short configuration, checking the run it produced is
// complete and shows the regime the example exists to show.
describe('examples', () => {
  it('adding-problem: SimpleRNN vanishes (λ₁ < 0, tiny gradient ratio) where LSTM and GRU carry the gradient', async () => {
    const { runs } = await runExample('adding-problem/train.mjs', ['--task', 'adding', '--cells', 'simpleRNN,gru,lstm', '--epochs', '1', '--samples', '64', '--steps', '100']);
    expect([...runs.keys()].sort()).toEqual(['adding-gru', 'adding-lstm', 'adding-simpleRNN']);
    for (const events of runs.values()) expect(isComplete(events)).toBe(true);
    const rnn = lastLayer(runs.get('adding-simpleRNN'));
    const lstm = lastLayer(runs.get('adding-lstm'));
    const gru = lastLayer(runs.get('adding-gru'));
    expect(rnn.regime).toBe('vanishing');
    expect(rnn.ftle.mean[0]).toBeLessThan(0);
    expect(gradRatio(rnn)).toBeLessThan(1e-2); // the regime's vanishing threshold
    // The gated cells pass far more gradient back to step 0 (seeded, after two
    // steps: SimpleRNN ≈ 5e-5, GRU ≈ 0.02, LSTM ≈ 1; the gap grows with training).
    expect(gradRatio(lstm)).toBeGreaterThan(10 * gradRatio(rnn));
    expect(gradRatio(gru)).toBeGreaterThan(10 * gradRatio(rnn));
    expect(lstm.gates.forget.mean[99]).toBeGreaterThan(0.9);
    // The diagnosis says so in words: a short horizon, and a gated cell to try.
    expect(rnn.diagnosis.verdict).toBe('vanishing');
    expect(rnn.diagnosis.horizon.steps).toBeLessThan(gru.diagnosis.horizon.steps);
    expect(rnn.diagnosis.remedies[0].action).toContain('a gated cell');
  });

  it('main demo (recall, the default): a SimpleRNN and a GRU run, the SimpleRNN with the shorter horizon', async () => {
    // Two steps per run: the learning itself takes 384 (examples/adding-problem/README.md has the figures).
    const { runs, output } = await runExample('adding-problem/train.mjs', ['--epochs', '1', '--samples', '64']);
    expect([...runs.keys()].sort()).toEqual(['recall-gru', 'recall-simpleRNN']);
    for (const events of runs.values()) expect(isComplete(events)).toBe(true);
    const rnn = lastLayer(runs.get('recall-simpleRNN'));
    const gru = lastLayer(runs.get('recall-gru'));
    expect(rnn.layer).toBe(gru.layer); // one name, so the dashboard's compare overlays them
    expect(rnn.diagnosis.horizon.of).toBe(60);
    expect(rnn.diagnosis.horizon.steps).toBeLessThan(gru.diagnosis.horizon.steps);
    expect(output).toMatch(/Final loss .*\n  simpleRNN: \d\.\d{4}\n  gru: \d\.\d{4}/);
  });

  it('exploding: unclipped reaches λ₁ > 0 with gradient spikes; clipped and AutoClip record clip events and learn', async () => {
    const { runs, output } = await runExample('exploding/train.mjs', ['--epochs', '12']);
    const plain = runs.get('exploding-unclipped');
    const clipped = runs.get('exploding-clipped');
    expect(isComplete(plain) && isComplete(clipped)).toBe(true);
    expect(measurements(plain).some((m) => m.layers[0].regime === 'exploding' && m.layers[0].ftle.mean[0] > 0)).toBe(true);
    expect(plain.some((e) => e.type === 'alert' && e.kind === 'grad-spike')).toBe(true);
    expect(clipped.filter((e) => e.type === 'clip').length).toBeGreaterThan(0);
    const losses = (events) => events.filter((e) => e.type === 'train-step').map((e) => e.loss);
    expect(losses(clipped).at(-1)).toBeLessThan(losses(clipped)[0] / 2);
    expect(Math.max(...losses(plain).filter(Number.isFinite))).toBeGreaterThan(100 * losses(plain)[0]);
    expect(output).toMatch(/clipped at 0.5: loss 3.45\d → 0\.\d/);
    // AutoClip: no threshold given; it moves with the run (the first step is
    // its own history, so never clipped) and keeps the loss from diverging.
    const auto = runs.get('exploding-autoclip');
    expect(isComplete(auto)).toBe(true);
    const autoClips = auto.filter((e) => e.type === 'clip');
    expect(autoClips.length).toBeGreaterThan(0);
    expect(autoClips.every((c) => c.mode === 'autoClip')).toBe(true);
    const thresholds = auto.filter((e) => e.type === 'train-step').map((e) => e.clipThreshold);
    expect(thresholds[0]).toBeCloseTo(auto.find((e) => e.type === 'train-step').gradNormBefore, 6);
    expect(Math.min(...thresholds)).toBeLessThan(thresholds[0] / 2);
    expect(Math.max(...losses(auto))).toBeLessThan(10 * losses(auto)[0]);
  });

  it('reber: both runs complete with a measurement per layer', async () => {
    const { runs } = await runExample('reber/train.mjs', ['--epochs', '1', '--samples', '64']);
    expect([...runs.keys()].sort()).toEqual(['reber-lstm', 'reber-simpleRNN']);
    for (const events of runs.values()) {
      expect(isComplete(events)).toBe(true);
      expect(measurements(events).length).toBeGreaterThan(0);
    }
    // 40 symbols: the SimpleRNN's gradient to the first step is far below the LSTM's.
    expect(gradRatio(lastLayer(runs.get('reber-simpleRNN')))).toBeLessThan(gradRatio(lastLayer(runs.get('reber-lstm'))));
  });

  it('fit-dataset and custom-loop produce complete runs', async () => {
    const a = await runExample('fit-dataset/train.mjs', ['--epochs', '1']);
    const b = await runExample('custom-loop/train.mjs', ['--iterations', '12']);
    const fd = a.runs.get('fit-dataset');
    const cl = b.runs.get('custom-loop');
    expect(isComplete(fd) && isComplete(cl)).toBe(true);
    expect(fd.filter((e) => e.type === 'train-step').length).toBe(8);
    expect(measurements(fd)[0].layers[0].samples).toBe(8);
    expect(cl.filter((e) => e.type === 'train-step').length).toBe(12);
    expect(measurements(cl).length).toBeGreaterThan(0);
  });
});
