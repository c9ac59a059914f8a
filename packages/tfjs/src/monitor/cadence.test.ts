import { describe, expect, it } from 'vitest';
import { Cadence } from './cadence.js';

describe('Cadence', () => {
  it('measures the first step, waives its cost, and then keeps within the budget', () => {
    const c = new Cadence(10, 0.05);
    expect(c.isDue(0)).toBe(true);
    // The baseline took 1000 ms (warm-up) inside a 1010 ms hook: none of it is charged.
    c.measured(0, 1000);
    c.addMonitor(1010);
    expect(c.overhead).toBe(0);
    for (let s = 1; s < 10; s++) c.addTraining(100);
    expect(c.isDue(9)).toBe(false); // fewer than `every` steps
    c.addTraining(100);
    expect(c.isDue(10)).toBe(true); // second measurement after `every` steps, its cost unknown
    c.measured(10, 200);
    c.addMonitor(200);
    // Charged so far: 10 ms (the baseline hook beyond its 1000 ms measurement)
    // + 200 ms. The next 200 ms fit once 0.05 × training ≥ 410 ms, i.e. after
    // 8200 ms of training: 72 more 100 ms steps from step 11.
    let step = 11;
    while (!c.isDue(step)) {
      c.addTraining(100);
      step++;
    }
    expect(step).toBe(83);
    expect(c.overhead).toBeCloseTo(210 / 8200, 6);
  });

  it("waives a takeover's cost (measured once) as the baseline's: the next measurement runs after `every` steps and sets the real cost", () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 50);
    c.addMonitor(50);
    c.addTraining(1000);
    c.measured(1, 10); // the real cost: 10 ms
    c.addMonitor(10);
    // The worker is given up on; the thread's takeover, cold on a rebuilt copy, took 178 ms in a 180 ms hook.
    c.addTraining(1000);
    expect(c.isDue(2)).toBe(true); // 10 + 10 ≤ 0.05 × 2000
    c.measured(2, 178, { once: true });
    c.addMonitor(180);
    expect(c.overhead).toBeCloseTo(12 / 2000, 9); // 10 ms and the hook's 2 ms beyond the takeover
    c.addTraining(25);
    expect(c.isDue(3)).toBe(true);
    c.measured(3, 10);
    c.addMonitor(10);
    c.addTraining(25);
    // The real cost again: 22 + 10 ≤ 0.05 × 2050.
    expect(c.isDue(4)).toBe(true);

    // Charged as a measurement, the same takeover holds the next one off until 0.05 × training ≥ 190 + 178.
    const charged = new Cadence(1, 0.05);
    charged.measured(0, 50);
    charged.addMonitor(50);
    charged.addTraining(1000);
    charged.measured(1, 10);
    charged.addMonitor(10);
    charged.addTraining(1000);
    charged.measured(2, 178);
    charged.addMonitor(180);
    let step = 3;
    while (!charged.isDue(step)) {
      charged.addTraining(25);
      step++;
    }
    expect(step).toBe(3 + Math.ceil((368 / 0.05 - 2000) / 25));
  });

  it('budget: Infinity measures every `every` steps, also before any training time was recorded', () => {
    const c = new Cadence(1, Infinity);
    c.measured(0, 50);
    c.measured(1, 50); // a custom loop's step() with no training time: trainingMs is still 0
    c.addMonitor(100);
    c.addWorkerCost(100);
    expect(c.isDue(2)).toBe(true);
    c.addTraining(10);
    c.addMonitor(1e9);
    expect(c.isDue(3)).toBe(true);
  });

  it('takes a refund off the monitor time, never below zero, and ignores nonsense', () => {
    const c = new Cadence(1, 0.05);
    c.measured(0, 0);
    c.addTraining(1000);
    c.addMonitor(60);
    expect(c.overhead).toBeCloseTo(0.06, 12);
    c.refund(20);
    expect(c.overhead).toBeCloseTo(0.04, 12);
    c.refund(Number.NaN);
    c.refund(-5);
    expect(c.overhead).toBeCloseTo(0.04, 12);
    c.refund(1000);
    expect(c.overhead).toBe(0);
  });

  it("the run-end's shares: none without training time; the wait and the slowdown only where they were read", () => {
    const c = new Cadence(1, 0.05);
    expect(c.shares(true, true)).toEqual({});
    c.addTraining(1000);
    c.addMonitor(20);
    c.addWorkerCost(30, 45);
    expect(c.shares(true, true)).toEqual({ monitorShare: 0.02, waitShare: 0.03, slowdownShare: 0.045 });
    expect(c.shares(false, false)).toEqual({ monitorShare: 0.02, waitShare: null, slowdownShare: null });
  });
});
