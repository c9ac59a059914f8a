/**
 * The CSV export's gradRatio column has one source: the ratio the run
 * reported in its diagnosis, else (runs recorded before diagnoses existed)
 * the protocol's gradientRatio of the stored gradNorm means.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GradscopeEvent, MeasurementEvent } from '@gradscope/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type GradscopeServer } from './index.js';
import { publish } from './test-helpers/clients.js';
import { makeRun } from './test-helpers/events.js';

let dir: string;
let server: GradscopeServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gradscope-export-'));
  server = await startServer({ logdir: dir, port: 0, log: null });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The run's CSV as header → value of its first row with a measurement behind it. */
async function firstMeasuredRow(runId: string, events: GradscopeEvent[]): Promise<Record<string, string>> {
  await publish(server.url, runId, events);
  const csv = await (await fetch(`${server.url}api/runs/${runId}/export.csv`)).text();
  const [header, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
  const measuredStep = events.find((e) => e.type === 'measurement')!.step;
  const row = rows.find((r) => Number(r[0]) >= measuredStep)!;
  return Object.fromEntries(header!.map((h, i) => [h, row[i]!]));
}

describe('CSV export: gradRatio', () => {
  it('is the diagnosis.gradRatio the run reported', async () => {
    const events = makeRun('with-diagnosis', 9).map((e) =>
      e.type === 'measurement' ? { ...e, layers: e.layers.map((l) => ({ ...l, diagnosis: { ...l.diagnosis!, gradRatio: 0.125 } })) } : e,
    );
    const row = await firstMeasuredRow('with-diagnosis', events);
    expect(row['lstm_1.gradRatio']).toBe('0.125');
  });

  it('without a diagnosis, is gradNorm[0]/gradNorm[T] of the stored means', async () => {
    // The example layer has T = 6: gradNorm for t = 0..6.
    const g = [0.5, 1, 1, 1, 1, 1, 4];
    const gradNorm = { mean: g, min: g, max: g };
    const events = makeRun('no-diagnosis', 9).map((e) =>
      e.type === 'measurement' ? ({ ...e, layers: e.layers.map(({ diagnosis: _d, ...l }) => ({ ...l, gradNorm })) } as MeasurementEvent) : e,
    );
    const row = await firstMeasuredRow('no-diagnosis', events);
    expect(row['lstm_1.gradRatio']).toBe('0.125'); // 0.5 / 4
  });
});
