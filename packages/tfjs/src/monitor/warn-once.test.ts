import { afterEach, describe, expect, it, vi } from 'vitest';
import { WarnOnce } from './warn-once.js';

describe('WarnOnce', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints each message once, and a different one again', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const once = new WarnOnce();
    for (const m of ['a', 'a', 'b', 'a', 'b']) once.warn(m);
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['gradscope: a', 'gradscope: b']);
  });

  it('remembers a bounded number of messages: past 64 the oldest is forgotten and printed again', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const once = new WarnOnce();
    const m = (i: number) => `m${i}`;
    for (let i = 0; i < 64; i++) once.warn(m(i));
    once.warn(m(0));
    expect(warn.mock.calls.length).toBe(64);
    once.warn(m(64)); // the 65th: m(0) is forgotten
    once.warn(m(0));
    once.warn(m(1)); // forgotten when m(0) came back
    expect(warn.mock.calls.slice(64).map((c) => c[0])).toEqual([`gradscope: ${m(64)}`, `gradscope: ${m(0)}`, `gradscope: ${m(1)}`]);
  });
});
