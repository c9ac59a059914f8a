import { describe, expect, it } from 'vitest';
import { encodeEvent } from './encode.js';
import { exampleEvents, exampleNonFiniteAlert } from './examples.js';
import { EventLineDecoder, ParsedEventsBuilder, parseEventLines } from './jsonl.js';

const events = exampleEvents();
const lines = events.map(encodeEvent);
const file = lines.map((l) => l + '\n').join('');

describe('parseEventLines', () => {
  it('reads a clean file', () => {
    const parsed = parseEventLines(file);
    expect(parsed).toEqual({ events, errors: [], truncatedTail: false });
  });

  it('reads an empty file', () => {
    expect(parseEventLines('')).toEqual({ events: [], errors: [], truncatedTail: false });
  });

  it('drops a truncated last line without an error, and flags it', () => {
    const last = lines[5]!;
    for (const cut of [1, 10, last.length - 1]) {
      const parsed = parseEventLines(lines.slice(0, 5).map((l) => l + '\n').join('') + last.slice(0, cut));
      expect(parsed.events).toEqual(events.slice(0, 5));
      expect(parsed.errors).toEqual([]);
      expect(parsed.truncatedTail).toBe(true);
    }
  });

  it('keeps a complete last line that only lacks its newline', () => {
    const parsed = parseEventLines(file.slice(0, -1));
    expect(parsed).toEqual({ events, errors: [], truncatedTail: false });
  });

  it('reports and skips a corrupt line in the middle, with its line number', () => {
    const broken = [...lines];
    broken[2] = broken[2]!.slice(0, 40); // a torn write that later writes continued after
    broken[3] = broken[3]!.replace('"mode":"globalClipNorm"', '"mode":"sometimes"');
    const parsed = parseEventLines(broken.map((l) => l + '\n').join(''));
    expect(parsed.events).toEqual([events[0], events[1], events[4], events[5]]);
    expect(parsed.truncatedTail).toBe(false);
    expect(parsed.errors).toHaveLength(2);
    expect(parsed.errors[0]).toMatchObject({ line: 3 });
    expect(parsed.errors[0]!.message).toMatch(/^event: invalid JSON/);
    expect(parsed.errors[1]).toEqual({ line: 4, message: 'clip.mode: expected one of "clipNorm", "globalClipNorm", "clipValue", "autoClip", got "sometimes"' });
  });

  it('skips blank lines silently but counts them in line numbers; tolerates CRLF and a BOM', () => {
    const text = '\uFEFF' + lines[0] + '\r\n\r\n   \n' + 'not json\r\n' + lines[1] + '\r\n';
    const parsed = parseEventLines(text);
    expect(parsed.events).toEqual(events.slice(0, 2));
    expect(parsed.errors).toEqual([{ line: 4, message: expect.stringMatching(/^event: invalid JSON/) }]);
    expect(parsed.truncatedTail).toBe(false);
  });

  it('decodes non-finite markers in the lines', () => {
    const parsed = parseEventLines(encodeEvent(exampleNonFiniteAlert()) + '\n');
    expect(parsed.events[0]).toEqual(exampleNonFiniteAlert());
  });
});

describe('EventLineDecoder', () => {
  it('gives the same result whatever the chunking', () => {
    const text = file + 'garbage\n' + lines[0]!.slice(0, 30);
    const whole = parseEventLines(text);
    expect(whole.errors).toHaveLength(1);
    expect(whole.truncatedTail).toBe(true);
    for (const size of [1, 7, 64, 1000, text.length]) {
      const decoder = new EventLineDecoder();
      const builder = new ParsedEventsBuilder();
      for (let i = 0; i < text.length; i += size) builder.add(decoder.push(text.slice(i, i + size)));
      expect(builder.end(decoder), `chunks of ${size}`).toEqual(whole);
    }
  });
});
