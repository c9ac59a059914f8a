import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFolder } from './make-folder.js';

describe('makeFolder (real folders)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gradscope-make-folder-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('makes the missing folders of a path, and does nothing where they exist', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeFolder(deep);
    makeFolder(join(root, 'a'));
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('says ENOTDIR under a file and EEXIST where the path is a file, making nothing', () => {
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    expect(() => makeFolder(join(file, 'a', 'b'))).toThrow(/ENOTDIR.*file[/\\]a'/);
    expect(() => makeFolder(file)).toThrow(/EEXIST/);
    expect(existsSync(join(root, 'a'))).toBe(false);
  });

  // Node's mkdirSync(…, { recursive: true }) never returns here: it retries /proc/nope after /proc says EEXIST.
  it.runIf(existsSync('/proc/self'))('throws at once for a folder under /proc, where nothing can be made', () => {
    expect(() => makeFolder('/proc/gradscope-nope/logs')).toThrow(/ENOENT.*mkdir '\/proc\/gradscope-nope'/);
  });
});
