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
    for (let i = 0; i < 64; i++) once.warn(`m${i}`);
    once.warn('m0');
    expect(warn.mock.calls.length).toBe(64);
    once.warn('m64'); // the 65th: m0 is forgotten
    once.warn('m0');
    once.warn('m1'); // forgotten when m0 came back
    expect(warn.mock.calls.slice(64).map((c) => c[0])).toEqual(['gradscope: m64', 'gradscope: m0', 'gradscope: m1']);
  });
});
