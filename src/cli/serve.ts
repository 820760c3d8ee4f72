/**
 * `keel serve`: serve a directory over HTTP, the SimpleHTTPServer people want (issue #5).
 *
 * Owns the command line of `keel serve` (flags, defaults, usage text), composing the
 * static handler with an optional CGI mount, the startup line, and turning on the
 * Common Log Format access log (which lives in handlers/access-log.ts). It must not implement any HTTP itself: files are the static
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
import { STATIC_CORS_OPTIONS } from '../handlers/static-options.js';
import { withCors } from '../semantics/cors.js';
import { canonicalPrefix, pathBelowPrefix } from '../wire/mount-prefix.js';
import { normalizePath } from '../wire/path.js';
import { batchedLineWriter, withAccessLog } from '../handlers/access-log.js';
import {
  DEBUG_OPTION,
  HELP_OPTION,
  WORKERS_OPTION,
  UsageError,
  flagValue,
  hostOption,
  parseCommandLine,
  parsePort,
  portOption,
  portValue,
  stringValue,
  type OptionSpec,
  type ParsedCommandLine,
} from './args.js';
import { commandOnError, hostUrl, type ServingCommand } from './command.js';

/** Default port: the one `python -m http.server` uses. */
export const DEFAULT_SERVE_PORT = 8000;
/** Default interface: loopback only (Python and `npx serve` bind all interfaces). */
export const DEFAULT_SERVE_HOST = '127.0.0.1';
/** Default mount point of `--cgi-dir`, as in CGIHTTPServer (`cgi_directories`). */
export const DEFAULT_CGI_PREFIX = '/cgi-bin';

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

/** The options of `keel serve`, in the order its help lists them. */
const SERVE_OPTIONS: readonly OptionSpec[] = [
  portOption(DEFAULT_SERVE_PORT),
  hostOption(DEFAULT_SERVE_HOST, { short: 'b', aliases: ['bind'] }),
  { name: 'directory', short: 'd', value: 'DIR', help: 'directory to serve (same as the DIR argument)' },
  { name: 'cors', help: 'send Access-Control-Allow-Origin: * and answer preflights' },
  { name: 'spa', aliases: ['single'], help: 'single-page app: unknown extension-less paths get /index.html' },
  { name: 'gzip', help: 'compress text on the fly (brotli/gzip) and use .br/.gz siblings' },
  { name: 'no-listing', help: 'no directory listings (404 for a directory without index.html)' },
  { name: 'cache', value: 'SECONDS', help: 'Cache-Control: public, max-age=SECONDS (default: no-cache)' },
  { name: 'dotfiles', value: 'P', help: 'deny (403, default), ignore (404) or allow dotfiles' },
  { name: 'cgi', help: 'run CGI scripts from DIR/cgi-bin at /cgi-bin (like python --cgi)' },
  { name: 'cgi-dir', value: 'DIR', help: 'run CGI scripts from DIR' },
  { name: 'cgi-prefix', value: 'PATH', help: `URL prefix of the CGI scripts (default ${DEFAULT_CGI_PREFIX})` },
  { name: 'quiet', short: 'q', help: 'no access log' },
  WORKERS_OPTION,
  DEBUG_OPTION,
  HELP_OPTION,
];

/** The spec of `keel serve` (what `parseServeArgs` parses against). */
const SERVE_SPEC = {
  name: 'serve',
  synopsis: '[DIR] [options]',
  summary: 'serve a directory over HTTP (static files, optional CGI)',
  description: 'Serve DIR (default: the current directory) over HTTP.',
  options: SERVE_OPTIONS,
  maxPositionals: 1,
  epilog: 'A bare number as the only argument is taken as the port, as in python -m http.server 8080.',
} as const;

/**
 * Turns parsed `keel serve` arguments into a configuration.
 * Throws `UsageError` on a bad value.
 */
export function serveConfig(args: ParsedCommandLine): ServeConfig {
  let dir: string | undefined = args.positionals[0];
  const directory = args.values.get('directory');
  if (typeof directory === 'string') {
    if (dir !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(dir)} (the directory is given by --directory)`);
    dir = directory;
  }
  let port = args.values.has('port') ? portValue(args, DEFAULT_SERVE_PORT) : undefined;
  // python -m http.server 8080: a lone number that is not a directory is the port.
  if (dir !== undefined && port === undefined && /^\d+$/.test(dir) && !fs.existsSync(dir)) {
    port = parsePort(dir, 'the port');
    dir = undefined;
  }
  const cache = args.values.get('cache');
  if (typeof cache === 'string' && !/^\d+$/.test(cache)) throw new UsageError(`--cache must be a whole number of seconds, got ${JSON.stringify(cache)}`);
  const dotfiles = stringValue(args, 'dotfiles', 'deny');
  if (dotfiles !== 'deny' && dotfiles !== 'allow' && dotfiles !== 'ignore') {
    throw new UsageError(`--dotfiles must be deny, ignore or allow, got ${JSON.stringify(dotfiles)}`);
  }
  const root = dir ?? '.';
  let cgiDir = args.values.get('cgi-dir');
  if (typeof cgiDir !== 'string') cgiDir = flagValue(args, 'cgi') ? path.join(root, 'cgi-bin') : undefined;
  const cgiPrefix = stringValue(args, 'cgi-prefix', DEFAULT_CGI_PREFIX);
  const prefix = normalizePath(cgiPrefix);
  if (prefix === null || prefix === '/') throw new UsageError(`--cgi-prefix must be a path below /, got ${JSON.stringify(cgiPrefix)}`);
  return {
    dir: root,
    port: port ?? DEFAULT_SERVE_PORT,
    host: stringValue(args, 'host', DEFAULT_SERVE_HOST),
    cors: flagValue(args, 'cors'),
    spa: flagValue(args, 'spa'),
    gzip: flagValue(args, 'gzip'),
    listing: !flagValue(args, 'no-listing'),
    cacheSeconds: typeof cache === 'string' ? Number(cache) : undefined,
    dotfiles,
    cgiDir,
    cgiPrefix: canonicalPrefix(prefix),
    quiet: flagValue(args, 'quiet'),
  };
}

/** Parses the arguments that follow `keel serve` (not `--help`: the dispatcher answers that). Throws `UsageError`. */
export function parseServeArgs(argv: readonly string[]): ServeConfig {
  return serveConfig(parseCommandLine(argv, SERVE_SPEC));
}

/**
 * Throws a plain one-line Error unless `dir` is an existing directory this process may
 * enter (search permission: its files can be opened) and, when `isListed`, list (read
 * permission). Checked at start, not per request: such a root would otherwise start
 * and then answer every request with 403.
 */
function checkDirectory(dir: string, what: string, isListed: boolean): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new Error(`${what} not found: ${dir}`);
  }
  if (!stat.isDirectory()) throw new Error(`${what} ${dir} is not a directory`);
  try {
    // Tried, not access(2)ed: access checks the real uid, the server runs with the
    // effective one. Looking up "dir/." needs search permission on dir.
    fs.statSync(`${dir}/.`);
    if (isListed) fs.opendirSync(dir).closeSync();
  } catch {
    throw new Error(`${what} ${dir} is not readable (permission denied)`);
  }
}

// The access log moved to src/handlers/access-log.ts (#14 item 6); re-exported for existing importers.
export { batchedLineWriter, clfDate, clfLine, escapeLogField, withAccessLog } from '../handlers/access-log.js';

/** Builds the handler of a `keel serve` configuration: static files, plus CGI under its prefix. */
export function buildServeHandler(config: ServeConfig, cgiLog?: (line: string) => void): Handler {
  const files = staticHandler({
    root: config.dir,
    listing: config.listing,
    dotfiles: config.dotfiles,
    spa: config.spa,
    compress: config.gzip,
    precompressed: config.gzip,
    maxAgeSeconds: config.cacheSeconds,
  });
  // --cors: the one CORS implementation (src/semantics/cors.ts, also the App's cors()), issue #16.
  const statics = config.cors ? withCors(files, STATIC_CORS_OPTIONS) : files;
  if (config.cgiDir === undefined) return statics;
  const cgiPrefix = config.cgiPrefix;
  const cgi = cgiHandler({ root: config.cgiDir, prefix: cgiPrefix, ...(cgiLog ? { logger: cgiLog } : {}) });
  return (req, res) => {
    const p = normalizePath(req.path);
    // The same normalized path both handlers see: "/cgi-bin/../x" is static, not CGI.
    if (p !== null && pathBelowPrefix(p, cgiPrefix) !== undefined) return cgi(req, res);
    return statics(req, res);
  };
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
  const server = new Server(config.quiet ? handler : withAccessLog(handler, log), { onError: commandOnError });
  await server.listen(config.port, config.host);
  const url = hostUrl(config.host, server.port);
  out(`Serving HTTP on ${config.host} port ${server.port} (${url}) from ${path.resolve(config.dir)} ...`);
  return { server, url, close: () => server.close() };
}

/** `keel serve [DIR] [options]`: the directories are checked before anything listens. */
export const serveCommand: ServingCommand = {
  kind: 'serving',
  ...SERVE_SPEC,
  prepare(args) {
    const config = serveConfig(args);
    checkDirectory(config.dir, 'directory', config.listing);
    // The gateway runs scripts by name: it needs to enter the directory, not list it.
    if (config.cgiDir !== undefined) checkDirectory(config.cgiDir, 'CGI directory', false);
    return async () => {
      const banner: string[] = [];
      const running = await startServe(config, (line) => banner.push(line));
      return { banner, close: (ms) => running.server.close(ms) };
    };
  },
};
