/**
 * PROTOCOL.md's examples are generated from examples.ts and checked here:
 * every block decodes and validates, and equals the generated event, so the
 * document cannot drift from the code. After changing the examples or the
 * events, regenerate the blocks with
 *   GRADSCOPE_UPDATE_PROTOCOL_MD=1 npx vitest run src/protocol-md.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from './encode.js';
import { EVENT_TYPES, type GradscopeEvent } from './events.js';
import { exampleEvents, exampleNonFiniteAlert } from './examples.js';
import { parseEventLines } from './jsonl.js';
import { prettyJson } from './test-helpers/pretty-json.js';

const docPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'PROTOCOL.md');

/** The generated content of each example block, by marker name. */
function expectedBlocks(): Map<string, { lang: string; text: string }> {
  const blocks = new Map<string, { lang: string; text: string }>();
  // Encoded first, then pretty-printed: the document shows the wire form ("NaN" strings).
  const wire = (e: GradscopeEvent) => prettyJson(JSON.parse(encodeEvent(e)));
  for (const e of exampleEvents()) blocks.set(e.type, { lang: 'json', text: wire(e) });
  blocks.set('non-finite-alert', { lang: 'json', text: encodeEvent(exampleNonFiniteAlert()) });
  const jsonl = exampleEvents()
    .filter((e) => e.type !== 'measurement') // one line of 3 kB would not help the reader
    .map(encodeEvent)
    .join('\n');
  blocks.set('events.jsonl', { lang: 'jsonl', text: jsonl });
  return blocks;
}

// A marker, then a fenced block whose content may be empty (before the first generation) but never spans a fence.
const BLOCK = /<!-- example: ([\w.-]+) -->\n```(\w+)\n((?:(?!```)[\s\S])*?)\n?```/g;

function blocksIn(doc: string): Map<string, { lang: string; text: string }> {
  const found = new Map<string, { lang: string; text: string }>();
  for (const m of doc.matchAll(BLOCK)) {
    expect(found.has(m[1]!), `example "${m[1]}" appears twice`).toBe(false);
    found.set(m[1]!, { lang: m[2]!, text: m[3]! });
  }
  return found;
}

if (process.env['GRADSCOPE_UPDATE_PROTOCOL_MD']) {
  const expected = expectedBlocks();
  const doc = readFileSync(docPath, 'utf8').replace(BLOCK, (whole, name: string) => {
    const block = expected.get(name);
    return block ? `<!-- example: ${name} -->\n\`\`\`${block.lang}\n${block.text}\n\`\`\`` : whole;
  });
  writeFileSync(docPath, doc);
}

describe('PROTOCOL.md', () => {
  const doc = readFileSync(docPath, 'utf8');
  const found = blocksIn(doc);

  it('has an example of every event type', () => {
    for (const type of EVENT_TYPES) expect(found.has(type), `example: ${type}`).toBe(true);
  });

  it.each(EVENT_TYPES)('the %s example decodes, validates and matches examples.ts', (type) => {
    const block = found.get(type)!;
    const event = decodeEvent(block.text);
    expect(event.type).toBe(type);
    expect(event).toEqual(exampleEvents().find((e) => e.type === type));
  });

  it('the non-finite example shows the encoding and decodes to NaN', () => {
    const block = found.get('non-finite-alert')!;
    expect(block.text).toContain('"value":"NaN"');
    const event = decodeEvent(block.text);
    expect(event.type === 'alert' && Number.isNaN(event.value)).toBe(true);
  });

  it('the events.jsonl example parses as a log file', () => {
    const parsed = parseEventLines(found.get('events.jsonl')!.text + '\n');
    expect(parsed.errors).toEqual([]);
    expect(parsed.events.map((e) => e.seq)).toEqual([0, 1, 3, 4, 5]);
  });

  it('every block is exactly what the code generates', () => {
    const expected = expectedBlocks();
    expect([...found.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, block] of expected) expect(found.get(name), `example: ${name}`).toEqual(block);
  });

  it('keeps the section the server issue fills', () => {
    expect(doc).toMatch(/^## Server routes and websocket messages$/m);
  });
});
