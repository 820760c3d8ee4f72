/**
 * The one argument parser of every `keel` command, and the shape of a command.
 *
 * Owns the command-line grammar (`--name value`, `--name=value`, `-x value`,
 * `-xVALUE`, grouped short flags `-iv`, boolean `--flag`, repeatable options
 * collected in order, positionals, `--` ending the options), the strict rules
 * (an unknown option, a missing value, a value given to a flag or one
 * positional too many is a `UsageError`), the usage text built from a
 * command's option table, and the values every serving command shares
 * (`--port`, `--host`, `--workers`, `--debug`, `--help`). Must not start
 * anything or touch process state: main.ts runs commands, this file only reads
 * argv. Nothing outside cli/ imports it.
 */

/** One option of a command, as its usage shows it. */
export interface OptionSpec {
  /** Long name without dashes (`'port'`): the key of the parsed value. */
  readonly name: string;
  /** One-letter form without its dash (`'p'`). */
  readonly short?: string;
  /** Other long names meaning the same (`['bind']` for `--host`). */
  readonly aliases?: readonly string[];
  /** Placeholder of the value (`'N'`) when the option takes one; absent for a boolean flag. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
  /**
   * Whether the option may be given several times, every value kept in order (a `string[]`,
   * as `keel get -H 'A: 1' -H 'B: 2'`). Otherwise the last occurrence wins. Needs `value`.
   */
  readonly repeatable?: boolean;
}

/** A `keel` command line, parsed against an option table. */
export interface ParsedCommandLine {
  /**
   * Option values by long name: the string given, or `true` for a flag, the last occurrence
   * winning; for a `repeatable` option, every value given, in order.
   */
  readonly values: ReadonlyMap<string, string | true | readonly string[]>;
  /** Arguments that are not options, in order. */
  readonly positionals: readonly string[];
}

/** What a command accepts and how its usage reads. */
export interface CommandSpec {
  /** The word after `keel` (`'serve'`). */
  readonly name: string;
  /** Arguments after the command name, as the usage line shows them (`'[DIR] [options]'`). */
  readonly synopsis: string;
  /** One line for `keel --help`. */
  readonly summary: string;
  /** Paragraphs shown by `keel NAME --help` between the usage line and the options. */
  readonly description?: string;
  /** Every option, in the order the help lists them. */
  readonly options: readonly OptionSpec[];
  /** Most positional arguments accepted (0: none). */
  readonly maxPositionals: number;
  /** Text after the options in `--help` (environment, examples). */
  readonly epilog?: string;
}

/**
 * A mistake on the command line: printed as one line with the usage hint, exit code 2.
 * `code` is `ERR_USAGE`.
 */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Highest TCP port number. */
const MAX_PORT = 65_535;

/** `-h, --help`: every command takes it; it wins over any other argument. */
export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', help: 'show this help and exit' };
/** `--debug`: print the stack of a runtime failure instead of one line. */
export const DEBUG_OPTION: OptionSpec = { name: 'debug', help: 'on a failure, print the full error with its stack' };
/** `--workers N|auto`: every serving command takes it (read by workers.ts before parsing). */
export const WORKERS_OPTION: OptionSpec = {
  name: 'workers',
  value: 'N|auto',
  help: 'run N worker processes sharing the port (auto: one per core); SIGHUP reloads them one at a time',
};

/** `-p, --port N` with its default in the help line. */
export function portOption(defaultPort: number): OptionSpec {
  return { name: 'port', short: 'p', value: 'N', help: `TCP port (default ${defaultPort}; 0 picks a free one)` };
}

/** `--host H` with its default in the help line. */
export function hostOption(defaultHost: string, extra: Partial<OptionSpec> = {}): OptionSpec {
  return { name: 'host', value: 'H', help: `interface to bind (default ${defaultHost}; 0.0.0.0 or :: to share)`, ...extra };
}

/** True when argv asks for help (`-h`/`--help` before any `--`): help wins over any mistake. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parses `argv` (the arguments after the command name) against `spec`. Throws
 * `UsageError` for an unknown option, a missing or empty value, a value given to a
 * flag, or more positionals than `spec.maxPositionals`.
 */
export function parseCommandLine(argv: readonly string[], spec: CommandSpec): ParsedCommandLine {
  const byName = new Map<string, OptionSpec>();
  for (const o of spec.options) {
    byName.set(`--${o.name}`, o);
    if (o.short !== undefined) byName.set(`-${o.short}`, o);
    for (const a of o.aliases ?? []) byName.set(`--${a}`, o);
  }
  const values = new Map<string, string | true | readonly string[]>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  let i = 0;
  const store = (option: OptionSpec, value: string, flag: string): void => {
    // An empty value (`--host=`, `--db ""`) is a mistake, never a choice: `--host=` would
    // otherwise bind every interface and `--db=` open a throwaway SQLite database.
    if (value === '') throw new UsageError(`option ${flag} needs a value (${option.value})`);
    if (option.repeatable !== true) {
      values.set(option.name, value);
      return;
    }
    let list = lists.get(option.name);
    if (list === undefined) lists.set(option.name, (list = []));
    list.push(value);
    values.set(option.name, list);
  };
  /** The next argument as the value of `flag`, unless it is a long option (a forgotten value). */
  const nextValue = (flag: string, option: OptionSpec): string => {
    if (i < argv.length && !argv[i]!.startsWith('--')) return argv[i++]!;
    throw new UsageError(`option ${flag} needs a value (${option.value})`);
  };
  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) {
      // Short options as POSIX getopt reads them (and curl, and node:util parseArgs): `-iv` is
      // `-i -v`; a letter that takes a value takes the rest of the word (`-XPUT`) or the next argument.
      for (let k = 1; k < arg.length; k++) {
        const flag = `-${arg[k]}`;
        const option = byName.get(flag);
        // An unknown first letter is most likely a long option typed with one dash: name the word.
        if (option === undefined) throw new UsageError(k === 1 ? `unknown option ${arg}` : `unknown option ${flag} in ${arg}`);
        if (option.value === undefined) {
          values.set(option.name, true);
          continue;
        }
        store(option, k + 1 < arg.length ? arg.slice(k + 1) : nextValue(flag, option), flag);
        break;
      }
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const option = byName.get(flag);
    if (option === undefined) throw new UsageError(`unknown option ${flag}`);
    if (option.value === undefined) {
      if (eq !== -1) throw new UsageError(`option ${flag} takes no value`);
      values.set(option.name, true);
      continue;
    }
    store(option, eq !== -1 ? arg.slice(eq + 1) : nextValue(flag, option), flag);
  }
  if (positionals.length > spec.maxPositionals) {
    const extra = positionals[spec.maxPositionals]!;
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  }
  return { values, positionals };
}

/** A string option's value, or the fallback. */
export function stringValue(args: ParsedCommandLine, name: string, fallback: string): string {
  const v = args.values.get(name);
  return typeof v === 'string' ? v : fallback;
}

/** Every value of a `repeatable` option, in the order given ([] when absent). */
export function listValue(args: ParsedCommandLine, name: string): readonly string[] {
  const v = args.values.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** A flag's value: true when given. */
export function flagValue(args: ParsedCommandLine, name: string): boolean {
  return args.values.get(name) === true;
}

/** Reads a TCP port (0 to 65535, digits only); throws `UsageError` naming `what`. */
export function parsePort(value: string, what = '--port'): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > MAX_PORT) {
    throw new UsageError(`${what} must be a whole number from 0 to ${MAX_PORT}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** The `--port` value, or the fallback. */
export function portValue(args: ParsedCommandLine, fallback: number): number {
  const v = args.values.get('port');
  return typeof v === 'string' ? parsePort(v) : fallback;
}

/** The help text of a command: usage line, description, option table, epilog. */
export function formatUsage(spec: CommandSpec): string {
  const rows = spec.options.map((o) => {
    const names = [...(o.short !== undefined ? [`-${o.short}`] : []), `--${o.name}`, ...(o.aliases ?? []).map((a) => `--${a}`)].join(', ');
    const left = (o.short === undefined ? '    ' : '') + names + (o.value !== undefined ? ` ${o.value}` : '');
    return [left, o.repeatable === true ? `${o.help} (repeatable)` : o.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const table = rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join('\n');
  const parts = [`usage: keel ${spec.name} ${spec.synopsis}`.trimEnd()];
  if (spec.description !== undefined) parts.push(spec.description.trimEnd());
  parts.push(`options:\n${table}`);
  if (spec.epilog !== undefined) parts.push(spec.epilog.trimEnd());
  return parts.join('\n\n') + '\n';
}
