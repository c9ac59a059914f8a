/**
 * Flag parsing for the CLI: `--name value` or `--name=value`, every flag
 * known in advance, errors that name the bad flag. No dependency.
 */
export class UsageError extends Error {}

export interface FlagSpec {
  /** 'string' | 'port' | 'enum' */
  kind: 'string' | 'port' | 'enum' | 'boolean';
  values?: readonly string[];
}

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): { flags: Record<string, string | number | boolean>; positional: string[] } {
  const flags: Record<string, string | number | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (known: ${Object.keys(specs).map((k) => `--${k}`).join(', ')})`);
    if (spec.kind === 'boolean') {
      flags[name] = true;
      continue;
    }
    let value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) throw new UsageError(`flag --${name} needs a value`);
    if (spec.kind === 'port') {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`flag --${name} must be a port number 0..65535, got '${value}'`);
      flags[name] = Number(value);
    } else if (spec.kind === 'enum') {
      if (!spec.values!.includes(value)) throw new UsageError(`flag --${name} must be one of ${spec.values!.join(', ')}, got '${value}'`);
      flags[name] = value;
    } else flags[name] = value;
  }
  return { flags, positional };
}
