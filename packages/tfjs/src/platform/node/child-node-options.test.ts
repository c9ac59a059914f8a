import { describe, expect, it } from 'vitest';
import { getHeapStatistics } from 'node:v8';
import { childNodeOptions, MEASURE_SEMI_SPACE_MB, measureProcessFlags, measureProcessLaunch, MIN_HEAP_LIMIT_FOR_SEMI_SPACE } from './child-node-options.js';

describe('childNodeOptions', () => {
  it('drops debugger and profiler flags, with their values, and keeps the rest in order', () => {
    expect(childNodeOptions('--require ./a.cjs --inspect-brk=9230 --max-old-space-size=4096')).toBe('--require ./a.cjs --max-old-space-size=4096');
    expect(childNodeOptions('--inspect --cpu-prof --cpu-prof-dir /tmp/p --heap-prof-name h.heapprofile --enable-source-maps')).toBe('--enable-source-maps');
    expect(childNodeOptions('--inspect-port 9300 --debug-port=9301 --prof --conditions=dev')).toBe('--conditions=dev');
    expect(childNodeOptions('--require "./with space.cjs" --inspect')).toBe('--require "./with space.cjs"');
    expect(childNodeOptions('--require "/tmp/a\\"b c.cjs" --inspect=127.0.0.1:0')).toBe('--require "/tmp/a\\"b c.cjs"');
  });

  it('is undefined when nothing is left or nothing was given', () => {
    expect(childNodeOptions('--inspect-brk')).toBeUndefined();
    expect(childNodeOptions('')).toBeUndefined();
    expect(childNodeOptions(undefined)).toBeUndefined();
  });

  it('keeps flags that only begin like one-process flags', () => {
    expect(childNodeOptions('--profile-me --inspector-ish')).toBe('--profile-me --inspector-ish');
  });
});

describe('measureProcessFlags', () => {
  const big = 4 * 2 ** 30; // a heap limit of 4 GB, as 64-bit Node has on a machine with memory to spare

  it('gives the measurement process a larger semi-space', () => {
    expect(MEASURE_SEMI_SPACE_MB).toBe(32);
    expect(measureProcessFlags(undefined, big)).toEqual(['--max-semi-space-size=32']);
    expect(measureProcessFlags('--require ./a.cjs --max-old-space-size=4096', big)).toEqual(['--max-semi-space-size=32']);
  });

  it("leaves a semi-space the user's NODE_OPTIONS sets, in either spelling, quoted or not", () => {
    expect(measureProcessFlags('--max-semi-space-size=8', big)).toEqual([]);
    expect(measureProcessFlags('--require ./a.cjs --max_semi_space_size=64', big)).toEqual([]);
    // Node drops the quotes: the user's 8 MB is what the process would get.
    expect(measureProcessFlags('"--max-semi-space-size=8"', big)).toEqual([]);
    expect(measureProcessFlags("--max-semi-space-size='8' --require './with space.cjs'", big)).toEqual([]);
  });

  it('is not fooled by flags that only begin like it', () => {
    expect(measureProcessFlags('--max-semi-space-sizes=8 --min-semi-space-size=4', big)).toEqual(['--max-semi-space-size=32']);
  });

  it("keeps V8's default where the heap limit is under 2 GB (V8's own default is smaller there)", () => {
    expect(measureProcessFlags(undefined, MIN_HEAP_LIMIT_FOR_SEMI_SPACE - 1)).toEqual([]);
    expect(measureProcessFlags(undefined, MIN_HEAP_LIMIT_FOR_SEMI_SPACE)).toEqual(['--max-semi-space-size=32']);
  });

  it("reads this process's heap limit when none is given", () => {
    const expected = getHeapStatistics().heap_size_limit >= MIN_HEAP_LIMIT_FOR_SEMI_SPACE ? ['--max-semi-space-size=32'] : [];
    expect(measureProcessFlags(undefined)).toEqual(expected);
  });
});

describe('measureProcessLaunch', () => {
  const big = 4 * 2 ** 30;

  it('passes on NODE_OPTIONS less the one-process flags, and the semi-space flag only where they set none', () => {
    const launch = measureProcessLaunch({ PATH: '/usr/bin', NODE_OPTIONS: '--inspect --max-semi-space-size=8' }, big);
    expect(launch).toEqual({ env: { PATH: '/usr/bin', NODE_OPTIONS: '--max-semi-space-size=8' }, execArgv: [] });
    expect(measureProcessLaunch({ NODE_OPTIONS: '--require ./a.cjs' }, big)).toEqual({ env: { NODE_OPTIONS: '--require ./a.cjs' }, execArgv: ['--max-semi-space-size=32'] });
  });

  it('drops NODE_OPTIONS when nothing of it is left, and leaves the given environment as it was', () => {
    const parent = { HOME: '/h', NODE_OPTIONS: '--inspect-brk' };
    expect(measureProcessLaunch(parent, big)).toEqual({ env: { HOME: '/h' }, execArgv: ['--max-semi-space-size=32'] });
    expect(parent).toEqual({ HOME: '/h', NODE_OPTIONS: '--inspect-brk' });
  });
});
