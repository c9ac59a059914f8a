import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('walks the path as the file system does: link/../x is made beside the link target', () => {
    mkdirSync(join(root, 'other', 'deep'), { recursive: true });
    symlinkSync(join(root, 'other', 'deep'), join(root, 'link'));
    makeFolder(join(root, 'link') + '/../made');
    expect(existsSync(join(root, 'other', 'made'))).toBe(true);
    expect(existsSync(join(root, 'made'))).toBe(false);
  });

  // As root nothing is refused EACCES: the built module, run as nobody, under a folder it may not enter.
  const dist = fileURLToPath(new URL('../dist/make-folder.js', import.meta.url));
  it.runIf(process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') && existsSync(dist))('names the folder it could not make when a parent may not be entered (EACCES)', () => {
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'closed'), { mode: 0o700 });
    const code = `import(${JSON.stringify(dist)}).then((m) => { try { m.makeFolder('closed/a/b'); console.log('made'); } catch (e) { console.log(e.message); } })`;
    const out = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code], { cwd: root, encoding: 'utf8' });
    expect(out.stdout.trim()).toBe("EACCES: permission denied, mkdir 'closed/a'");
  });

  // Node's mkdirSync(…, { recursive: true }) never returns here: it retries /proc/nope after /proc says EEXIST.
  it.runIf(existsSync('/proc/self'))('throws at once for a folder under /proc, where nothing can be made', () => {
    expect(() => makeFolder('/proc/gradscope-nope/logs')).toThrow(/ENOENT.*mkdir '\/proc\/gradscope-nope'/);
  });
});
