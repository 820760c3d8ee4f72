#!/usr/bin/env node
/**
 * The `keel` command: one dispatcher for every subcommand.
 *
 * Owns the command table, `--help`/`--version`, the exit codes (0 done or
 * help, 1 runtime failure, 2 usage mistake), the wording of failures (one line;
 * the stack only with `--debug`), and the life of a serving command: start
 * (under the cluster supervisor with `--workers`), print its banner once, stop
 * gracefully on SIGINT/SIGTERM. Each command lives in its own file and is one
 * entry of COMMANDS: adding a command is adding a file and a line here.
 * Nothing imports cli/.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { UsageError, WORKERS_OPTION, formatUsage, parseCommandLine, wantsHelp } from './args.js';
import { describeFailure, type Command, type ServingCommand, type Started } from './command.js';
import { demoCommand } from './demo.js';
import { echoCommand } from './echo.js';
import { getCommand } from './get.js';
import { helloCommand } from './hello.js';
import { serveCommand } from './serve.js';
import { runWorkers, takeWorkersFlag } from './workers.js';

/** Every command, in the order `keel --help` lists them. */
const COMMANDS: ReadonlyMap<string, Command> = new Map([helloCommand, echoCommand, serveCommand, demoCommand, getCommand].map((c) => [c.name, c]));

/** Exit code of a usage mistake (the convention of BSD sysexits' EX_USAGE users and Python's argparse). */
const EXIT_USAGE = 2;
/** Exit code of a runtime failure. */
const EXIT_FAILURE = 1;

/** The version in keel's package.json (two levels up from both src/cli/ and dist/cli/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The text of `keel --help`. */
function topUsage(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((n) => n.length)) + 2;
  const rows = [...COMMANDS.values()].map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n');
  return `usage: keel <command> [options]

commands:
${rows}

Run 'keel <command> --help' for a command's options. Serving commands also take
--workers N|auto (${WORKERS_OPTION.help}).
'keel --version' prints the version.
`;
}

/** One line on stderr for a usage mistake, with where to look; returns the exit code. */
function usageFailure(prefix: string, message: string, helpCommand: string): number {
  process.stderr.write(`${prefix}: ${message} (see '${helpCommand}')\n`);
  return EXIT_USAGE;
}

/** One line on stderr for a runtime failure (the whole error with `--debug`); returns the exit code. */
function runtimeFailure(prefix: string, err: unknown, debug: boolean): number {
  process.stderr.write(debug ? `${prefix}: ${inspect(err)}\n` : `${prefix}: ${describeFailure(err)}\n`);
  return EXIT_FAILURE;
}

/**
 * Starts a serving command in this process and arranges its graceful stop on
 * SIGINT/SIGTERM. The banner is printed once: by this process, or with `--workers`
 * by the first worker only (a reload's new workers are quiet), and a worker, stopped
 * by its supervisor, prints nothing of its own.
 */
async function startServing(command: ServingCommand, start: () => Promise<Started>): Promise<Started> {
  const started = await start();
  const isWorker = cluster.isWorker;
  if (!isWorker || cluster.worker?.id === 1) for (const line of started.banner) process.stdout.write(line + '\n');
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!isWorker) process.stderr.write(`keel ${command.name}: ${signal} received, shutting down\n`);
    started.close().then(
      () => process.exit(0),
      (err: unknown) => process.exit(runtimeFailure(`keel ${command.name}`, err, false)),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return started;
}

/**
 * Runs `keel ARGV...`. Resolves with the exit code when the command is done, or with
 * undefined while a serving command keeps the process alive.
 */
async function main(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(topUsage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`keel ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.get(name);
  if (command === undefined) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    return usageFailure('keel', what, 'keel --help');
  }
  const prefix = `keel ${command.name}`;
  if (wantsHelp(rest)) {
    process.stdout.write(formatUsage(command));
    return 0;
  }
  let workers = 1;
  let args = rest;
  if (command.kind === 'serving') {
    try {
      ({ count: workers, argv: args } = takeWorkersFlag(rest));
    } catch (err) {
      return usageFailure(prefix, (err as Error).message, `${prefix} --help`);
    }
  }
  let debug = false;
  try {
    const parsed = parseCommandLine(args, command);
    debug = parsed.values.get('debug') === true;
    // -h inside a group of short flags (`keel get -vh URL`), which wantsHelp() does not look into.
    if (parsed.values.get('help') === true) {
      process.stdout.write(formatUsage(command));
      return 0;
    }
    if (command.kind === 'run') return await command.prepare(parsed)();
    const start = command.prepare(parsed);
    if (workers > 1) {
      // Primary: supervise the workers and resolve with the cluster's exit code.
      // Worker: start the command, then resolve undefined (it serves until told to stop).
      return await runWorkers(workers, async () => {
        const started = await startServing(command, start);
        return (ms) => started.close(ms);
      });
    }
    await startServing(command, start);
    return undefined;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(prefix, err.message, `${prefix} --help`);
    return runtimeFailure(prefix, err, debug);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => process.exit(runtimeFailure('keel', err, true)),
);
