import { describe, expect, it } from 'vitest';
import { checkOptions, rejectUnknownOptions, showValue, type OptionCheck } from './options.js';

const positiveInteger: OptionCheck = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'a positive integer');
const checks = { k: positiveInteger, name: (v: unknown) => (typeof v === 'string' ? null : 'a string') };

describe('checkOptions', () => {
  it('accepts known options with good values, undefined values and no options', () => {
    expect(() => checkOptions('f', { k: 3, name: 'x' }, checks)).not.toThrow();
    expect(() => checkOptions('f', { k: undefined }, checks)).not.toThrow();
    expect(() => checkOptions('f', undefined, checks)).not.toThrow();
  });

  it('names the function, the unknown option and the known ones', () => {
    expect(() => checkOptions('f', { kk: 3 }, checks)).toThrow(new TypeError("f: unknown option 'kk' (known: k, name)"));
  });

  it('names the function, the option, the value and what is wanted', () => {
    expect(() => checkOptions('f', { k: 2.5 }, checks)).toThrow(new TypeError("f: option 'k' must be a positive integer, got 2.5"));
    expect(() => checkOptions('f', { name: ['a'] }, checks)).toThrow(new TypeError(`f: option 'name' must be a string, got ["a"]`));
  });

  it('rejects options that are not an object, with the example', () => {
    expect(() => checkOptions('f', 3, checks, 'f({ k: 2 })')).toThrow(new TypeError('f: options must be an object, e.g. f({ k: 2 }); got 3'));
    expect(() => checkOptions('f', [1], checks)).toThrow(new TypeError('f: options must be an object; got [1]'));
    expect(() => checkOptions('f', null, checks)).toThrow(TypeError);
  });

  it('every error is a TypeError, and so still an Error', () => {
    expect(() => rejectUnknownOptions('f', { x: 1 }, [])).toThrow(TypeError);
    expect(() => rejectUnknownOptions('f', { x: 1 }, [])).toThrow(Error);
  });
});

describe('showValue', () => {
  it('quotes strings, names functions, shortens long JSON and survives cycles', () => {
    expect(showValue('ws:/x')).toBe("'ws:/x'");
    expect(showValue(() => 1)).toBe('a function');
    expect(showValue(NaN)).toBe('NaN');
    expect(showValue({ a: 'x'.repeat(100) })).toHaveLength(80);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(showValue(cyclic)).toBe('[object Object]');
  });
});
