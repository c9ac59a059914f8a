import { afterEach, describe, expect, it, vi } from 'vitest';
import { gist, WarnOnce } from './warn-once.js';

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

  it('counts messages that differ only in numbers and parenthesised details as the same news', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const once = new WarnOnce();
    once.warn('measuring failed: shapes differ (in the worker, the snapshot of step 12)');
    once.warn('measuring failed: shapes differ (in the worker, the snapshot of step 13)');
    once.warn('the worker stopped: killed by SIGKILL');
    once.warn('the worker stopped: killed by SIGKILL (write EPIPE)');
    once.warn('the worker has answered nothing for 31 s');
    once.warn('the worker has answered nothing for 62 s');
    once.warn('measuring failed: index out of range');
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      'gradscope: measuring failed: shapes differ (in the worker, the snapshot of step 12)',
      'gradscope: the worker stopped: killed by SIGKILL',
      'gradscope: the worker has answered nothing for 31 s',
      'gradscope: measuring failed: index out of range',
    ]);
    expect(gist('the worker stopped after 1.5 s (write EPIPE): killed')).toBe('the worker stopped after # s: killed');
  });

  it('remembers a bounded number of messages: past 64 the oldest is forgotten and printed again', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const once = new WarnOnce();
    // Messages without digits: numbers alone do not make news (see gist).
    const m = (i: number) => `m${'x'.repeat(i)}`;
    for (let i = 0; i < 64; i++) once.warn(m(i));
    once.warn(m(0));
    expect(warn.mock.calls.length).toBe(64);
    once.warn(m(64)); // the 65th: m(0) is forgotten
    once.warn(m(0));
    once.warn(m(1)); // forgotten when m(0) came back
    expect(warn.mock.calls.slice(64).map((c) => c[0])).toEqual([`gradscope: ${m(64)}`, `gradscope: ${m(0)}`, `gradscope: ${m(1)}`]);
  });
});
