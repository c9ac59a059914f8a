/**
 * Parses `--name value` / `--flag` command-line flags against a table of
 * defaults. An unknown flag, a missing value or a bad number is an error that
 * names the flag and lists the known ones, printed with the usage.
 *
 * @param {Record<string, number | string | boolean>} defaults
 * @param {string} usage one line per flag, shown by --help and on errors
 */
export function parseArgs(defaults, usage, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  const fail = (message) => {
    console.error(`${message}\n\n${usage}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!arg.startsWith('--')) fail(`unexpected argument '${arg}'`);
    const [rawName, inline] = arg.slice(2).split('=', 2);
    const negated = rawName.startsWith('no-') && typeof defaults[rawName.slice(3)] === 'boolean';
    const name = negated ? rawName.slice(3) : rawName;
    if (!(name in defaults)) fail(`unknown flag --${rawName} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')})`);
    const kind = typeof defaults[name];
    if (kind === 'boolean') {
      out[name] = !negated;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) fail(`flag --${name} needs a value`);
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) fail(`flag --${name} must be a positive number, got '${value}'`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}
