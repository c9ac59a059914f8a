// Makes sure Debian's chromium is at /usr/bin/chromium for the end-to-end test.
// Playwright's own browser download cannot work on our CI machines, so we never
// run `playwright install`: on a root Debian/Ubuntu machine we apt-get the
// distribution's package once; anywhere else we stop with instructions.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const CHROMIUM = process.env.GRADSCOPE_CHROMIUM ?? '/usr/bin/chromium';
/**
 * Flags for Debian's chromium in tests: headless, as root, and without the
 * background networking that a closed network refuses many times a second.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const HOW =
  `gradscope's browser test needs Chromium at ${CHROMIUM} (or set GRADSCOPE_CHROMIUM to another path).\n` +
  `  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n` +
  `  Do not run 'playwright install' – the test drives the system browser through playwright-core.`;

function isDebian() {
  try {
    return /^(ID|ID_LIKE)=.*(debian|ubuntu)/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !isDebian()) throw new Error(`Chromium not found.\n${HOW}`);
  console.log(`[gradscope] installing chromium with apt-get (one time)…`);
  try {
    // Turbo runs two packages' browser tests at once: flock serialises the
    // installs (the second finds chromium there and apt-get does nothing),
    // where two apt-gets at once would fail on dpkg's lock.
    const script = 'test -x "$1" || { apt-get update && apt-get install -y --no-install-recommends chromium; }';
    execFileSync('flock', ['/tmp/gradscope-apt.lock', 'sh', '-c', script, 'sh', CHROMIUM], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`apt-get could not install chromium (${err.message}).\n${HOW}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get ran but ${CHROMIUM} is still missing.\n${HOW}`);
  return CHROMIUM;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureChromium());
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
