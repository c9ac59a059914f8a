import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './project.js';

/** The code blocks of the README section titled `heading` (```lang fences), in order. */
export function readmeBlocks(heading: string, lang: string): string[] {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section '## ${heading}'`);
  const end = text.indexOf('\n## ', start + 4);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}
