/**
 * What a `keel` command is, for the dispatcher in main.ts: its spec (options,
 * usage) plus how to start it, and the one wording of runtime failures.
 *
 * Owns the `Command` shape (a serving command starts something that runs until
 * stopped; a run command does its work and returns an exit code), the helper
 * that serves a bare Handler, and `describeFailure()`, which turns the errors a
 * user can cause (port in use, permission denied, unknown host, missing
 * directory or driver, a server that failed `keel get`) into one plain line.
 * Must not parse argv (args.ts does) or install signal handlers and exit
 * (main.ts does). Nothing outside cli/ imports it.
 */
import { ClientError } from '../client/errors.js';
import { Server } from '../server/server.js';
import { ResponseError } from '../wire/errors.js';
import type { Handler } from '../server/handler.js';
import type { CommandSpec, ParsedCommandLine } from './args.js';

/** A serving command once it listens. */
export interface Started {
  /** Lines for stdout once it listens (printed once, even with `--workers`). The last one says where. */
  readonly banner: readonly string[];
  /** Graceful stop: finish requests in flight, within `deadlineMs` (the command's default when omitted). */
  close(deadlineMs?: number): Promise<unknown>;
}

/** A command that serves until SIGINT/SIGTERM (and takes `--workers`). */
export interface ServingCommand extends CommandSpec {
  readonly kind: 'serving';
  /**
   * Validates the parsed arguments and returns how to start. Runs once, in the process
   * the user started, before any worker is forked: a bad value throws `UsageError`
   * (exit 2), a bad environment (a missing directory) throws a plain Error (exit 1).
   */
  prepare(args: ParsedCommandLine): () => Promise<Started>;
}

/** A command that runs to completion (`keel get`): resolves with the exit code. */
export interface RunCommand extends CommandSpec {
  readonly kind: 'run';
  /** Validates the parsed arguments (throwing `UsageError`) and returns the work to do. */
  prepare(args: ParsedCommandLine): () => Promise<number>;
}

/** Any `keel` command: an entry of main.ts's command table. */
export type Command = ServingCommand | RunCommand;

/** `http://HOST:PORT/`, IPv6 in brackets. */
export function hostUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** True for a failure to bind the listening socket (port in use, permission, bad address). */
function isListenFailure(err: unknown): boolean {
  const syscall = (err as SystemErrorFields | null)?.syscall;
  return syscall === 'listen' || syscall === 'bind';
}

/** True for a host name that could not be resolved (the `--host` of a listen). */
function isLookupFailure(err: unknown): boolean {
  const e = err as SystemErrorFields | null;
  return e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN' || e?.syscall === 'getaddrinfo';
}

/**
 * The Server `onError` of every command. A failed listen (or the lookup of its host)
 * also reaches the listener's 'error' event, which the server's default reporter prints
 * with its stack; the command reports it already, as one line, so it is dropped here.
 * Anything else is written as the server's default does.
 */
export function commandOnError(err: unknown, context: string): void {
  if (context === 'listener error' && (isListenFailure(err) || isLookupFailure(err))) return;
  console.error(`keel: ${context}:`, err);
}

/** Starts a Server for a bare Handler; the banner is `keel LABEL listening on URL`. */
export async function serveHandler(label: string, handler: Handler, port: number, host: string): Promise<Started> {
  const server = new Server(handler, { onError: commandOnError });
  const addr = await server.listen(port, host);
  return { banner: [`keel ${label} listening on ${hostUrl(addr.address, addr.port)}`], close: (ms) => server.close(ms) };
}

/** The fields Node puts on a system error (net, dns, fs). */
interface SystemErrorFields {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  path?: unknown;
}

/** Plain wording of the system errors a command line can cause. */
const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use (another server is listening there)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
};

/**
 * One plain line for a runtime failure, without the command prefix: what could not be
 * done and why, never a stack (`--debug` prints that instead).
 */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & SystemErrorFields;
  const code = typeof e.code === 'string' ? e.code : '';
  // The client's errors (keel get) name their rule: `connect failed: ... (ERR_CONNECT)`, docs/errors.md.
  if (err instanceof ClientError || err instanceof ResponseError) return `${e.message.split('\n')[0]!} (${code})`;
  if (isListenFailure(e)) {
    const where = typeof e.address === 'string' ? hostUrl(e.address, Number(e.port)).replace(/^http:\/\/|\/$/g, '') : `port ${String(e.port)}`;
    return `cannot listen on ${where}: ${SYSTEM_ERRORS[code] ?? e.message}`;
  }
  if (isLookupFailure(e)) {
    return `cannot resolve host ${JSON.stringify(e.hostname ?? '')}`;
  }
  if (typeof e.path === 'string' && SYSTEM_ERRORS[code] !== undefined) return `${e.path}: ${SYSTEM_ERRORS[code]}`;
  return e.message.split('\n')[0]!;
}
