import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { assertValidRunId, isValidRunId, makeRunId, MAX_RUN_ID_LENGTH, runIdProblem, slugify } from './run-id.js';

describe('isValidRunId', () => {
  it.each(['20250301-142233-017-lstm', 'run1', 'a', 'A.b_c-d', '0', 'x'.repeat(MAX_RUN_ID_LENGTH)])('accepts %j', (id) => {
    expect(isValidRunId(id)).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    ['../x', "must not start with '.'"],
    ['..', "must not start with '.'"],
    ['.', "must not start with '.'"],
    ['.hidden', "must not start with '.'"],
    ['a/b', 'may only contain'],
    ['a\\b', 'may only contain'],
    ['a/../../etc', 'may only contain'],
    ['/etc/passwd', 'may only contain'],
    ['C:run', 'may only contain'],
    ['a\0b', 'may only contain'],
    ['run\n', 'may only contain'],
    ['run one', 'may only contain'],
    ['ünïcode', 'may only contain'],
    ['-flag', 'may only contain'],
    ['_x', 'may only contain'],
    ['run.', "must not end with '.'"],
    ['x'.repeat(MAX_RUN_ID_LENGTH + 1), 'at most 128 characters'],
    ['x'.repeat(100_000), 'at most 128 characters'],
    ['NUL', 'reserved device name'],
    ['con.txt', 'reserved device name'],
    ['com1', 'reserved device name'],
  ])('rejects %j (%s)', (id, problem) => {
    expect(isValidRunId(id)).toBe(false);
    expect(runIdProblem(id)).toContain(problem);
  });

  it('rejects non-strings', () => {
    for (const id of [undefined, null, 42, ['a'], { toString: () => 'a' }]) {
      expect(isValidRunId(id)).toBe(false);
      expect(runIdProblem(id)).toBe('a run id must be a string');
    }
  });

  it('assertValidRunId throws a ProtocolError naming the id', () => {
    expect(() => assertValidRunId('a/b')).toThrow(ProtocolError);
    expect(() => assertValidRunId('a/b')).toThrow(/^runId: .* \(got "a\/b"\)$/);
    expect(() => assertValidRunId('ok-run')).not.toThrow();
  });
});

describe('makeRunId', () => {
  const date = new Date(Date.UTC(2025, 2, 1, 14, 22, 33, 17));

  it('prefixes a UTC timestamp to a slug of the name', () => {
    expect(makeRunId('LSTM (clip=1)', date)).toBe('20250301-142233-017-lstm-clip-1');
  });

  it('always makes a valid run id, whatever the name', () => {
    for (const name of ['', '../../etc/passwd', 'Crème brûlée', '…', 'CON', 'a'.repeat(1000), '\0\n\t', '.hidden.', '日本語']) {
      const id = makeRunId(name, date);
      expect(isValidRunId(id), `${JSON.stringify(name)} → ${id}`).toBe(true);
    }
    expect(makeRunId('../../etc/passwd', date)).toBe('20250301-142233-017-etc-passwd');
    expect(makeRunId('Crème brûlée', date)).toBe('20250301-142233-017-creme-brulee');
    expect(makeRunId('日本語', date)).toBe('20250301-142233-017-run');
  });

  it('sorts by start time', () => {
    const ids = [3, 1, 2].map((s) => makeRunId('b', new Date(Date.UTC(2025, 0, 1, 0, 0, s))));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });

  it('rejects an invalid date', () => {
    expect(() => makeRunId('x', new Date(NaN))).toThrow('date: makeRunId needs a valid Date');
  });

  it('slugify keeps names short and clean', () => {
    expect(slugify('  Adding problem: T=100!  ')).toBe('adding-problem-t-100');
    expect(slugify('x'.repeat(500))).toHaveLength(64);
  });
});
