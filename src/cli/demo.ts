/**
 * `keel demo`: runs the tutorial site (also `npm start`, port 8000).
 *
 * Owns the demo's options and starting it: opening the database (PostgreSQL
 * when DATABASE_URL is a postgres:// URL, else the SQLite file of `--db`),
 * migrating, listening, and a close that stops streams, server and database.
 * Parsing, signals and exit codes are main.ts's, as for every command.
 * Must not print secrets: a database URL is shown without its password.
 */
import cluster from 'node:cluster';
import { DEFAULT_SQLITE_FILE, isPostgresUrl, openDatabase } from '../db/database.js';
import type { RunningServer } from '../app/index.js';
import { createDemo } from '../demo/app.js';
import type { Request } from '../server/handler.js';
import { clientInfo, compileTrust } from '../server/trusted-proxy.js';
import { DEBUG_OPTION, HELP_OPTION, UsageError, WORKERS_OPTION, hostOption, portOption, portValue, stringValue } from './args.js';
import { commandOnError, hostUrl, type Started, type ServingCommand } from './command.js';

/** Default port of `keel demo` (and `npm start`). */
export const DEFAULT_DEMO_PORT = 8000;
/** Default interface: loopback, so the demo is not exposed to the network unless asked. */
export const DEFAULT_DEMO_HOST = '127.0.0.1';
/** Longest graceful shutdown before open connections are cut. */
export const DEMO_SHUTDOWN_TIMEOUT_MS = 5_000;

/** A URL without its password, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** Where the demo runs and keeps its guestbook. */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  /** A postgres:// URL (from DATABASE_URL), or undefined for SQLite at `file`. */
  readonly postgresUrl: string | undefined;
  readonly file: string;
  /** Addresses and ranges of TLS-terminating proxies whose X-Forwarded-Proto is believed (`--trust-proxy`). */
  readonly trustedProxies?: readonly string[];
  /** Keys that sign the CSRF cookie (`KEEL_DEMO_KEYS`, newest first); default: a secret kept in the database. */
  readonly keys?: readonly string[];
}

/** Splits a comma-separated list, dropping empty entries. */
function listValue(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Starts the demo: opens and migrates the database, then listens. Resolves once it
 * listens; on any failure the database is closed again before the error is thrown.
 *
 * @example
 * const demo = await startDemo({ port: 8000, host: '127.0.0.1', postgresUrl: undefined, file: 'data/keel.db' });
 * await demo.close();
 */
export async function startDemo(config: DemoConfig): Promise<Started> {
  const url = config.postgresUrl;
  const db = await openDatabase(url !== undefined ? { url } : { file: config.file });
  let server: RunningServer;
  const trusted = config.trustedProxies ?? [];
  // Behind a trusted TLS proxy the client's scheme comes from X-Forwarded-Proto, so the CSRF
  // cookie gets `Secure` (issue #12 item 13); from any other peer only the socket counts.
  const clientProtocol =
    trusted.length === 0 ? undefined : (req: Request) => clientInfo(req, { trustedProxies: trusted }).protocol;
  const demo = await createDemo({ db, ...(clientProtocol && { clientProtocol }), ...(config.keys && { keys: config.keys }) }).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  try {
    server = await demo.app.listen(config.port, config.host, { serverOptions: { shutdownTimeoutMs: DEMO_SHUTDOWN_TIMEOUT_MS, onError: commandOnError } });
  } catch (err) {
    await db.close();
    throw err;
  }
  const banner = [`keel demo: guestbook on ${url !== undefined ? `PostgreSQL ${safeUrl(url)}` : `SQLite ${config.file}`}`];
  if (demo.migrated.length > 0) banner.push(`keel demo: applied migrations ${demo.migrated.join(', ')}`);
  banner.push(`listening on ${hostUrl(config.host, server.port)}`);
  let closing: Promise<void> | undefined;
  // The deadline is the demo's own DEMO_SHUTDOWN_TIMEOUT_MS (RunningServer.close takes none),
  // shorter than a cluster supervisor's default, so a worker's stop still finishes in time.
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      demo.stopStreams();
      await server.close();
      await db.close();
    })());
  return { banner, close };
}

/** `keel demo [--port N] [--host H] [--db PATH]`. */
export const demoCommand: ServingCommand = {
  kind: 'serving',
  name: 'demo',
  synopsis: '[options]',
  summary: 'the tutorial site: pages, guestbook on a database, static files, CGI (npm start)',
  description: `Runs the tutorial site: the original page and its picture, a time server,
a guestbook on a database, static files, CGI scripts and a wire inspector.
The SQLite guestbook needs the package better-sqlite3 (npm install better-sqlite3).`,
  options: [
    portOption(DEFAULT_DEMO_PORT),
    hostOption(DEFAULT_DEMO_HOST),
    { name: 'db', value: 'PATH', help: `SQLite file of the guestbook (default ${DEFAULT_SQLITE_FILE}, created if missing)` },
    {
      name: 'trust-proxy',
      value: 'LIST',
      help: 'comma-separated addresses/ranges of TLS-terminating proxies (or loopback, uniquelocal) whose X-Forwarded-Proto is believed (default: none)',
    },
    WORKERS_OPTION,
    DEBUG_OPTION,
    HELP_OPTION,
  ],
  maxPositionals: 0,
  epilog: `environment:
  DATABASE_URL=postgres://user:pass@host:5432/db   use PostgreSQL instead of SQLite (needs the package pg)
  KEEL_DEMO_KEYS=new,old                           keys that sign the CSRF cookie, newest first
                                                   (default: a secret generated once and kept in the database)`,
  prepare(args, env: NodeJS.ProcessEnv = process.env) {
    const port = portValue(args, DEFAULT_DEMO_PORT);
    const host = stringValue(args, 'host', DEFAULT_DEMO_HOST);
    const postgresUrl = isPostgresUrl(env.DATABASE_URL) ? env.DATABASE_URL : undefined;
    // Said once: workers (--workers) run prepare() again with the same arguments.
    if (postgresUrl !== undefined && args.values.has('db') && !cluster.isWorker) process.stderr.write('keel demo: DATABASE_URL is set; ignoring --db\n');
    const file = stringValue(args, 'db', DEFAULT_SQLITE_FILE);
    const trustedProxies = listValue(stringValue(args, 'trust-proxy', ''));
    try {
      compileTrust(trustedProxies);
    } catch (err) {
      throw new UsageError(`--trust-proxy: ${(err as Error).message.replace(/^trustedProxies: /, '')}`);
    }
    // Keys come from the environment, not argv, which any local user can read in `ps`.
    const keys = env.KEEL_DEMO_KEYS === undefined ? undefined : listValue(env.KEEL_DEMO_KEYS);
    if (keys !== undefined && keys.length === 0) throw new UsageError('KEEL_DEMO_KEYS is set but holds no key');
    return () => startDemo({ port, host, postgresUrl, file, trustedProxies, ...(keys && { keys }) });
  },
};
