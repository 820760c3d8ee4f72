/**
 * `keel demo`: runs the tutorial site (also `npm start`, port 8000).
 *
 * Owns the demo's command line: parsing options, opening the database
 * (PostgreSQL when DATABASE_URL is a postgres:// URL, else the SQLite file of
 * `--db`), starting the server, and shutting down cleanly on SIGINT/SIGTERM.
 * Must not print secrets: a database URL is shown without its password.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SQLITE_FILE, isPostgresUrl, openDatabase } from '../db/database.js';
import type { RunningServer } from '../app/index.js';
import { createDemo } from '../demo/app.js';

/** Default port of `keel demo` (and `npm start`). */
export const DEFAULT_DEMO_PORT = 8000;
/** Default interface: loopback, so the demo is not exposed to the network unless asked. */
export const DEFAULT_DEMO_HOST = '127.0.0.1';
/** Longest graceful shutdown before open connections are cut. */
export const DEMO_SHUTDOWN_TIMEOUT_MS = 5_000;

const USAGE = `Usage: keel demo [--port N] [--host H] [--db PATH]

Runs the tutorial site: the original page and its picture, a time server,
a guestbook on a database, static files, CGI scripts and a wire inspector.

  --port N     TCP port (default ${DEFAULT_DEMO_PORT}; 0 picks a free one)
  --host H     interface to bind (default ${DEFAULT_DEMO_HOST}; 0.0.0.0 for every interface)
  --db PATH    SQLite file of the guestbook (default ${DEFAULT_SQLITE_FILE}, created if missing)
  -h, --help   this text

Environment:
  DATABASE_URL=postgres://user:pass@host:5432/db   use PostgreSQL instead of SQLite
`;

/** A running demo, as `demoCommand` returns it. */
export interface RunningDemo {
  /** The bound port. */
  readonly port: number;
  /** Stops the server (gracefully) and closes the database. Idempotent. */
  close(): Promise<void>;
}

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

/**
 * Runs `keel demo ARGV...`. Resolves once the server listens, with a handle
 * to stop it; installs SIGINT/SIGTERM handlers that stop it gracefully.
 * Returns undefined (with `process.exitCode` set) for --help or a usage error.
 *
 * @example
 * await demoCommand(['--port', '8000', '--db', 'data/keel.db']);
 */
export async function demoCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningDemo | undefined> {
  let values: { port?: string; host?: string; db?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`keel demo: ${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return undefined;
  }
  const port = values.port === undefined ? DEFAULT_DEMO_PORT : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || !Number.isInteger(port) || port > 65_535) {
    process.stderr.write(`keel demo: --port must be an integer from 0 to 65535\n`);
    process.exitCode = 2;
    return undefined;
  }
  const host = values.host ?? DEFAULT_DEMO_HOST;
  const url = env.DATABASE_URL;
  const usePostgres = isPostgresUrl(url);
  if (usePostgres && values.db !== undefined) process.stderr.write('keel demo: DATABASE_URL is set; ignoring --db\n');
  const file = values.db ?? DEFAULT_SQLITE_FILE;

  const db = await openDatabase(usePostgres ? { url } : { file });
  let server: RunningServer;
  const demo = await createDemo({ db }).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  try {
    server = await demo.app.listen(port, host, { serverOptions: { shutdownTimeoutMs: DEMO_SHUTDOWN_TIMEOUT_MS } });
  } catch (err) {
    await db.close();
    throw err;
  }
  console.log(`keel demo: guestbook on ${usePostgres ? `PostgreSQL ${safeUrl(url!)}` : `SQLite ${file}`}`);
  if (demo.migrated.length > 0) console.log(`keel demo: applied migrations ${demo.migrated.join(', ')}`);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  console.log(`listening on http://${shownHost}:${server.port}/`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      demo.stopStreams();
      await server.close();
      await db.close();
    })());
  function onSignal(signal: NodeJS.Signals): void {
    console.log(`keel demo: ${signal}, shutting down`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('keel demo: error while shutting down:', err);
        process.exit(1);
      },
    );
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { port: server.port, close };
}
