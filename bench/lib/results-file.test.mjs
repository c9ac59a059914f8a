/**
 * A run of some benchmarks only (`--only`) merged into the generated
 * section of a results file: on real files in a temporary folder, through
 * the same functions run.mjs calls. Run by `npm test` (bench's test script).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BEGIN, END, mergeGenerated, readGenerated, rerunPrefix, writeResults } from './results-file.mjs';

const full = [
  '## Results',
  '',
  '- date: 2026-01-01',
  '- total bench time: 100 s',
  '',
  '| # | ratio | measured | target |',
  '|---|---|---|---|',
  '| 1 | overhead | 1.04 | ≤ 1.05 |',
  '| 2 | measurement, lstm | 0.8 | ≤ 1.0 |',
  '| 2 | measurement, gru | 0.7 | ≤ 0.5 |',
  '| 7 | every step | 1.07 | ≤ 1.10 |',
  '',
  '### 1. Overhead',
  '',
  '| cell | ratio |',
  '|---|---|',
  '| lstm | 1.04 |',
  '',
  '_(10 s)_',
  '',
  '### 2. Measurement',
  '',
  'text of 2',
  '',
  '### 7. Every step',
  '',
  'old text of 7',
  '',
].join('\n');

const only7 = ['## Results', '', '- date: 2026-02-02', '- total bench time: 5 s (benchmarks 7 only)', '', '| # | ratio | measured | target |', '|---|---|---|---|', '| 7 | every step | 1.09 | ≤ 1.10 |', '', '### 7. Every step', '', 'new text of 7', ''].join('\n');

test('a re-run of one benchmark replaces its row and section and keeps every other', () => {
  const merged = mergeGenerated(full, only7, ['7'], 'date: 2026-02-02; 5 s');
  assert.match(merged, /\| 1 \| overhead \| 1\.04/);
  assert.equal((merged.match(/^\| 2 \|/gm) ?? []).length, 2);
  assert.match(merged, /\| 7 \| every step \| 1\.09/);
  assert.doesNotMatch(merged, /1\.07/);
  assert.match(merged, /### 1\. Overhead[\s\S]*\| lstm \| 1\.04 \|[\s\S]*### 2\. Measurement[\s\S]*### 7\. Every step\n\nnew text of 7/);
  assert.doesNotMatch(merged, /old text of 7/);
  // The full run's description stays, with one line for this run.
  assert.match(merged, /- date: 2026-01-01\n- total bench time: 100 s\n- re-run of benchmark 7 alone, the rest as above: date: 2026-02-02; 5 s\n\n\| # \|/);
});

test('a second re-run of the same benchmark replaces the first one\'s line; another benchmark\'s is added', () => {
  const once = mergeGenerated(full, only7, ['7'], 'first');
  const twice = mergeGenerated(once, only7, ['7'], 'second');
  assert.equal(twice.split('\n').filter((l) => l.startsWith(rerunPrefix(['7']))).length, 1);
  assert.match(twice, /alone, the rest as above: second/);
  const only1 = only7.replaceAll('| 7 | every step | 1.09', '| 1 | overhead | 1.03').replace('### 7. Every step', '### 1. Overhead');
  const third = mergeGenerated(twice, only1, ['1'], 'third');
  assert.match(third, /benchmark 7 alone, the rest as above: second\n- re-run of benchmark 1 alone, the rest as above: third/);
  assert.match(third, /\| 1 \| overhead \| 1\.03[\s\S]*\| 7 \| every step \| 1\.09/);
  assert.match(third, /### 1\. Overhead\n\nnew text of 7[\s\S]*### 2\. Measurement[\s\S]*### 7\. Every step/);
});

test('with nothing to merge into, the run is written as it is', () => {
  assert.equal(mergeGenerated(null, only7, ['7'], 'x'), only7);
  assert.equal(mergeGenerated('no generated section here', only7, ['7'], 'x'), only7);
});

test('through the file: the text around the markers is kept, and what is read back is what was merged', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradscope-results-'));
  try {
    const file = path.join(dir, 'RESULTS.md');
    writeFileSync(file, `# notes before\n\n${BEGIN}\n${full}\n${END}\n\n## notes after\n`);
    assert.equal(readGenerated(file), full);
    const merged = mergeGenerated(readGenerated(file), only7, ['7'], 'y');
    writeResults(file, merged);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(`# notes before\n\n${BEGIN}\n`));
    assert.ok(text.endsWith(`${END}\n\n## notes after\n`));
    assert.equal(readGenerated(file), merged);
    assert.equal(readGenerated(path.join(dir, 'missing.md')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
