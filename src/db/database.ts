/**
 * The database interface: one small async contract over SQLite and PostgreSQL.
 *
 * Owns `openDatabase()`, which picks a driver from a URL, its options and
 * defaults. The shared types live in types.ts (re-exported here). Models and
 * migrations are written once against this interface and run unchanged on
 * both engines (issue #8: stateless instances sharing one PostgreSQL).
 *
 * Must not import anything from wire/, server/ or app/, and must not load a
 * driver eagerly: `pg` and `better-sqlite3` are imported on first use, so an
 * SQLite user never loads `pg` (and the reverse).
 *
 * SQL portability rules the interface relies on (documented in docs/database.md):
 * - Write placeholders as `?`; the PostgreSQL driver rewrites them to `$1..$n`.
 * - Use `INSERT ... RETURNING id` with `get()` to learn a new id on both engines.
 * - Store times as integer milliseconds (`BIGINT`): both engines return a number.
 */

import type { Database } from './types.js';

export type { Dialect, SqlValue, Row, RunResult, Queryable, Database } from './types.js';

/** Options of `openDatabase()`. */
export interface OpenDatabaseOptions {
  /**
   * A connection URL. `postgres://` or `postgresql://` selects PostgreSQL; `sqlite:PATH`
   * selects SQLite at PATH. Undefined or empty: SQLite at `file`. Pass
   * `process.env.DATABASE_URL` here; this module never reads the environment itself.
   */
  url?: string;
  /** SQLite file path (`:memory:` for a private in-memory database). Default `DEFAULT_SQLITE_FILE`. */
  file?: string;
  /** How long SQLite waits on a lock held by another process before SQLITE_BUSY. Default `DEFAULT_BUSY_TIMEOUT_MS`. */
  busyTimeoutMs?: number;
  /** Most PostgreSQL connections this process opens. Default `DEFAULT_PG_POOL_SIZE`. */
  poolSize?: number;
  /** How long to wait for a PostgreSQL connection before failing. Default `DEFAULT_PG_CONNECT_TIMEOUT_MS`. */
  connectTimeoutMs?: number;
  /** How long an unused PostgreSQL connection stays open. Default `DEFAULT_PG_IDLE_TIMEOUT_MS`. */
  idleTimeoutMs?: number;
}

/** Default SQLite file, relative to the working directory; its directory is created on open. */
export const DEFAULT_SQLITE_FILE = 'data/keel.db';
/** Default SQLite busy timeout: long enough to ride out another process's write, short enough to fail visibly. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** Default PostgreSQL pool size: pg's own default, enough for one process on a small machine. */
export const DEFAULT_PG_POOL_SIZE = 10;
/** Default time to wait for a PostgreSQL connection (pg's default is to wait forever). */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5_000;
/** Default idle time before a pooled PostgreSQL connection is closed (pg's default). */
export const DEFAULT_PG_IDLE_TIMEOUT_MS = 10_000;

/** True when `url` names a PostgreSQL server. */
export function isPostgresUrl(url: string | undefined): boolean {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens a database: PostgreSQL when `url` is a postgres:// URL, SQLite otherwise.
 *
 * @example
 * const db = await openDatabase({ url: process.env.DATABASE_URL, file: 'data/keel.db' });
 * const rows = await db.all('SELECT id, name FROM entries WHERE id > ?', [10]);
 * await db.close();
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.url ?? '';
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres({
      url,
      poolSize: options.poolSize ?? DEFAULT_PG_POOL_SIZE,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_PG_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_PG_IDLE_TIMEOUT_MS,
    });
  }
  let file = options.file ?? DEFAULT_SQLITE_FILE;
  if (url.toLowerCase().startsWith('sqlite:')) file = url.slice('sqlite:'.length);
  else if (url !== '') throw new Error('unsupported database URL scheme (use postgres:// or sqlite:PATH)');
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite({ file, busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
}

/**
 * True when `err` is a unique-constraint violation on either engine
 * (SQLite `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`, PostgreSQL SQLSTATE 23505).
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
