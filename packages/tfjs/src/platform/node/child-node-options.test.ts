import { describe, expect, it } from 'vitest';
import { childNodeOptions } from './child-node-options.js';

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
