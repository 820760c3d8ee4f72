/**
 * `keel serve`: serve a directory over HTTP, the SimpleHTTPServer people want (issue #5).
 *
 * Owns the command line of `keel serve` (flags, defaults, usage text), composing the
 * static handler with an optional CGI mount, the startup line and the Common Log
 * Format access log. It must not implement any HTTP itself: files are the static
 * handler's job, scripts the CGI gateway's, the wire the server's.
 *
 * Defaults differ from `python -m http.server` on purpose in one place: Python binds
 * every interface (0.0.0.0 / ::) and `npx serve` too; keel binds 127.0.0.1 so a quick
 * `keel serve` in a home directory is not published to the whole network. Use
 * `--host 0.0.0.0` to share. The port (8000) and the printed line match Python's.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Handler } from '../server/handler.js';
import { Server } from '../server/server.js';
import { cgiHandler } from '../handlers/cgi.js';
import { type DotfilesPolicy, staticHandler } from '../handlers/static.js';
import { normalizePath } from '../wire/path.js';
import { batchedLineWriter, withAccessLog } from '../handlers/access-log.js';

/** Default port: the one `python -m http.server` uses. */
export const DEFAULT_SERVE_PORT = 8000;
/** Default interface: loopback only (Python and `npx serve` bind all interfaces). */
export const DEFAULT_SERVE_HOST = '127.0.0.1';
/** Default mount point of `--cgi-dir`, as in CGIHTTPServer (`cgi_directories`). */
export const DEFAULT_CGI_PREFIX = '/cgi-bin';
/** Highest TCP port number. */
const MAX_PORT = 65_535;

/** The parsed command line of `keel serve`. */
export interface ServeConfig {
  /** Directory to serve. Default ".". */
  readonly dir: string;
  readonly port: number;
  readonly host: string;
  readonly cors: boolean;
  readonly spa: boolean;
  /** On-the-fly gzip/brotli plus precompressed .br/.gz siblings. */
  readonly gzip: boolean;
  readonly listing: boolean;
  /** `Cache-Control: public, max-age=N` when set; otherwise `no-cache`. */
  readonly cacheSeconds: number | undefined;
  readonly dotfiles: DotfilesPolicy;
  /** Directory of CGI scripts; CGI is off when undefined. */
  readonly cgiDir: string | undefined;
  readonly cgiPrefix: string;
  /** No access log (`-q/--quiet`). */
  readonly quiet: boolean;
}

/** A command-line mistake: the message is for the user, followed by the usage text. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

/** The help text of `keel serve`. */
export const SERVE_USAGE = `Usage: keel serve [DIR] [options]

Serve DIR (default: the current directory) over HTTP.

Options:
  -p, --port N          port to listen on (default ${DEFAULT_SERVE_PORT}; 0 picks a free one)
  -b, --host, --bind H  address to bind (default ${DEFAULT_SERVE_HOST}; 0.0.0.0 or :: to share)
  -d, --directory DIR   directory to serve (same as the DIR argument)
      --cors            send Access-Control-Allow-Origin: * and answer preflights
      --spa             single-page app: unknown extension-less paths get /index.html
      --gzip            compress text on the fly (brotli/gzip) and use .br/.gz siblings
      --no-listing      no directory listings (404 for a directory without index.html)
      --cache SECONDS   Cache-Control: public, max-age=SECONDS (default: no-cache)
      --dotfiles P      deny (403, default), ignore (404) or allow dotfiles
      --cgi             run CGI scripts from DIR/cgi-bin at /cgi-bin (like python --cgi)
      --cgi-dir DIR     run CGI scripts from DIR
      --cgi-prefix PATH URL prefix of the CGI scripts (default ${DEFAULT_CGI_PREFIX})
  -q, --quiet           no access log
  -h, --help            show this help

A bare number as the only argument is taken as the port, as in python -m http.server 8080.`;

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_PORT) throw new UsageError(`invalid port: ${value}`);
  return Number(value);
}

/**
 * Parses the arguments that follow `keel serve`. Returns undefined for `--help`.
 *
 * Throws `UsageError` on an unknown flag or a bad value.
 */
export function parseServeArgs(argv: readonly string[]): ServeConfig | undefined {
  let dir: string | undefined;
  let port: number | undefined;
  let host = DEFAULT_SERVE_HOST;
  let cors = false;
  let spa = false;
  let gzip = false;
  let listing = true;
  let cacheSeconds: number | undefined;
  let dotfiles: DotfilesPolicy = 'deny';
  let cgiDir: string | undefined;
  let isCgi = false;
  let cgiPrefix = DEFAULT_CGI_PREFIX;
  let quiet = false;

  const args = [...argv];
  while (args.length > 0) {
    let arg = args.shift()!;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--help':
        return undefined;
      case '-p':
      case '--port':
        port = parsePort(value());
        break;
      case '-b':
      case '--bind':
      case '--host':
        host = value();
        break;
      case '-d':
      case '--directory':
        dir = value();
        break;
      case '--cors':
        cors = true;
        break;
      case '--spa':
      case '--single':
        spa = true;
        break;
      case '--gzip':
        gzip = true;
        break;
      case '--no-listing':
        listing = false;
        break;
      case '--cache': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`invalid --cache seconds: ${v}`);
        cacheSeconds = Number(v);
        break;
      }
      case '--dotfiles': {
        const v = value();
        if (v !== 'deny' && v !== 'allow' && v !== 'ignore') throw new UsageError(`invalid --dotfiles policy: ${v}`);
        dotfiles = v;
        break;
      }
      case '--cgi':
        isCgi = true;
        break;
      case '--cgi-dir':
        cgiDir = value();
        break;
      case '--cgi-prefix':
        cgiPrefix = value();
        break;
      case '-q':
      case '--quiet':
        quiet = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option: ${arg}`);
        if (dir !== undefined) throw new UsageError(`unexpected argument: ${arg}`);
        dir = arg;
    }
  }
  // python -m http.server 8080: a lone number that is not a directory is the port.
  if (dir !== undefined && port === undefined && /^\d+$/.test(dir) && !fs.existsSync(dir)) {
    port = parsePort(dir);
    dir = undefined;
  }
  const root = dir ?? '.';
  if (isCgi && cgiDir === undefined) cgiDir = path.join(root, 'cgi-bin');
  const prefix = normalizePath(cgiPrefix);
  if (prefix === null || prefix === '/') throw new UsageError(`invalid --cgi-prefix: ${cgiPrefix}`);
  return {
    dir: root,
    port: port ?? DEFAULT_SERVE_PORT,
    host,
    cors,
    spa,
    gzip,
    listing,
    cacheSeconds,
    dotfiles,
    cgiDir,
    cgiPrefix: prefix.endsWith('/') ? prefix.slice(0, -1) : prefix,
    quiet,
  };
}

// The access log moved to src/handlers/access-log.ts (#14 item 6); re-exported for existing importers.
export { batchedLineWriter, clfDate, clfLine, escapeLogField, withAccessLog } from '../handlers/access-log.js';

/** Builds the handler of a `keel serve` configuration: static files, plus CGI under its prefix. */
export function buildServeHandler(config: ServeConfig, cgiLog?: (line: string) => void): Handler {
  const statics = staticHandler({
    root: config.dir,
    listing: config.listing,
    dotfiles: config.dotfiles,
    cors: config.cors,
    spa: config.spa,
    compress: config.gzip,
    precompressed: config.gzip,
    maxAgeSeconds: config.cacheSeconds,
  });
  if (config.cgiDir === undefined) return statics;
  const cgiPrefix = config.cgiPrefix;
  const cgi = cgiHandler({ root: config.cgiDir, prefix: cgiPrefix, ...(cgiLog ? { logger: cgiLog } : {}) });
  return (req, res) => {
    const p = normalizePath(req.path);
    // The same normalized path both handlers see: "/cgi-bin/../x" is static, not CGI.
    if (p !== null && (p === cgiPrefix || p.startsWith(cgiPrefix + '/'))) return cgi(req, res);
    return statics(req, res);
  };
}

/** The URL a browser should open for a bound address (IPv6 in brackets; wildcard shown as is). */
export function serveUrl(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

/** A running `keel serve`. */
export interface RunningServe {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts serving a parsed configuration. `out` receives the startup line, `log` the
 * access log lines (stdout and stderr by default, as Python does).
 */
export async function startServe(
  config: ServeConfig,
  out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  log: (line: string) => void = batchedLineWriter(process.stderr),
): Promise<RunningServe> {
  const handler = buildServeHandler(config, log);
  const server = new Server(config.quiet ? handler : withAccessLog(handler, log));
  await server.listen(config.port, config.host);
  const url = serveUrl(config.host, server.port);
  out(`Serving HTTP on ${config.host} port ${server.port} (${url}) from ${path.resolve(config.dir)} ...`);
  return { server, url, close: () => server.close() };
}

/**
 * `keel serve [DIR] --port N --host H [--cors] [--spa] [--gzip] [--no-listing] [--cache SECONDS]`.
 *
 * `argv` holds the arguments after `serve`. Resolves once the server listens; the
 * process then lives until SIGINT/SIGTERM, which close the server gracefully. A usage
 * error prints the message and the help to stderr and sets exit code 2.
 */
export async function serveCommand(argv: string[]): Promise<void> {
  let config: ServeConfig | undefined;
  try {
    config = parseServeArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`keel serve: ${err.message}\n\n${SERVE_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (config === undefined) {
    process.stdout.write(SERVE_USAGE + '\n');
    return;
  }
  let running: RunningServe;
  try {
    running = await startServe(config);
  } catch (err) {
    // Missing directory, port in use, permission denied: one clear line, no stack.
    process.stderr.write(`keel serve: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const stop = (signal: string): void => {
    process.stderr.write(`\n${signal} received, shutting down.\n`);
    running.close().then(
      () => process.exit(),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
