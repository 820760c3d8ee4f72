/**
 * A tiny argv parser for the keel commands: `--name value`, `--name=value`,
 * boolean `--flag` / `--no-flag`, and positionals.
 *
 * Owns nothing but argument splitting; each command validates its own options.
 */

/** Parsed command line: flags by name (without dashes) and positionals in order. */
export interface ParsedArgs {
  readonly flags: Map<string, string | boolean>;
  readonly positionals: string[];
}

/** Splits argv. `booleans` names flags that never take a value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq !== -1) {
      flags.set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const name = a.slice(2);
    if (name.startsWith('no-') && booleans.includes(name.slice(3))) {
      flags.set(name.slice(3), false);
    } else if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
      flags.set(name, true);
    } else {
      flags.set(name, argv[++i]);
    }
  }
  return { flags, positionals };
}

/** A numeric flag as an integer port or count, or the fallback; throws a clear error when invalid. */
export function intFlag(args: ParsedArgs, name: string, fallback: number): number {
  const v = args.flags.get(name);
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`--${name} needs a whole number, got ${String(v)}`);
  return n;
}

/** A string flag, or the fallback. */
export function stringFlag(args: ParsedArgs, name: string, fallback: string): string {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : fallback;
}
