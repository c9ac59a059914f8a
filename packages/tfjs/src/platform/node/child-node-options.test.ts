import { describe, expect, it } from 'vitest';
import { childNodeOptions, MEASURE_SEMI_SPACE_MB, measureProcessFlags } from './child-node-options.js';

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
  it('gives the measurement process a larger semi-space', () => {
    expect(MEASURE_SEMI_SPACE_MB).toBe(32);
    expect(measureProcessFlags(undefined)).toEqual(['--max-semi-space-size=32']);
    expect(measureProcessFlags('--require ./a.cjs --max-old-space-size=4096')).toEqual(['--max-semi-space-size=32']);
  });

  it("leaves a semi-space the user's NODE_OPTIONS sets, in either spelling", () => {
    expect(measureProcessFlags('--max-semi-space-size=8')).toEqual([]);
    expect(measureProcessFlags('--require ./a.cjs --max_semi_space_size=64')).toEqual([]);
    expect(measureProcessFlags('--max-semi-space-size 64')).toEqual([]);
  });

  it('is not fooled by flags that only begin like it', () => {
    expect(measureProcessFlags('--max-semi-space-sizes=8 --min-semi-space-size=4')).toEqual(['--max-semi-space-size=32']);
  });
});
