/**
 * sqlSessionStore(): session records in a SQL table, on SQLite or PostgreSQL (issue #16 item 4).
 *
 * Owns the sessions table (its migration, `sessionStoreMigration()`) and the
 * statements that read, write, touch and delete records, plus the cleanup of
 * expired rows: a bounded batch (`maxCleanupRows`) at most once per
 * `cleanupIntervalMs`, run from `set()`, so neither a request nor the database
 * pays for an unbounded DELETE, and the table stays bounded by live sessions plus
 * what the batches have not reached yet.
 * Must not import app/ (test/architecture.test.ts): the object it returns matches
 * the app's `SessionStore` interface structurally (test/db/session-store.test.ts
 * checks that at type level). Several processes may share one table: every
 * statement is a single atomic one, and the upsert makes `set()` idempotent.
 */
import type { Migration } from './migrations.js';
import type { Database } from './types.js';

/** Default table name. */
export const DEFAULT_SESSION_TABLE = 'keel_sessions';
/** Default most expired rows deleted by one cleanup: 500, a batch that stays a few ms on either engine. */
export const DEFAULT_SESSION_CLEANUP_ROWS = 500;
/** Default least time between two cleanups: 1 minute (a write-heavy app does not DELETE on every write). */
export const DEFAULT_SESSION_CLEANUP_INTERVAL_MS = 60 * 1000;

// An SQL identifier we can interpolate safely (PostgreSQL truncates names at 63 bytes).
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A session record, the same shape as the app's `StoredSession`. */
export interface SqlSessionRecord {
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdMs: number;
  readonly expiresMs: number;
}

/** Options of {@link sqlSessionStore}. */
export interface SqlSessionStoreOptions {
  /** Table name (letters, digits, underscore). Default `keel_sessions`. */
  readonly table?: string;
  /** Most expired rows one cleanup deletes. Default 500. */
  readonly maxCleanupRows?: number;
  /** Least time between two automatic cleanups (run from `set()`). Default 1 min. */
  readonly cleanupIntervalMs?: number;
  /** The clock (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

/** A SQL session store: the app's `SessionStore` methods, plus `cleanup()`. */
export interface SqlSessionStore {
  get(key: string): Promise<SqlSessionRecord | undefined>;
  set(key: string, session: SqlSessionRecord): Promise<void>;
  touch(key: string, expiresMs: number): Promise<void>;
  destroy(key: string): Promise<void>;
  /** Deletes up to `maxCleanupRows` expired rows now; returns how many. */
  cleanup(): Promise<number>;
}

function checkTable(table: string): string {
  if (!TABLE_NAME.test(table)) throw new TypeError(`session store: invalid table name ${JSON.stringify(table)}`);
  return table;
}

function checkInt(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`session store: ${name} must be an integer >= ${min}: ${value}`);
  return value;
}

/**
 * The migration creating the sessions table and its expiry index; add it to your app's list.
 *
 * @example
 * await migrate(db, [...APP_MIGRATIONS, sessionStoreMigration()]);
 */
export function sessionStoreMigration(options: { readonly table?: string } = {}): Migration {
  const t = checkTable(options.table ?? DEFAULT_SESSION_TABLE);
  // TEXT data (JSON) and BIGINT ms on both engines; the index serves get's expiry test and cleanup.
  return {
    id: `keel-sessions-001-${t}`,
    up: `CREATE TABLE ${t} (
      key TEXT PRIMARY KEY,
      data TEXT NOT NULL,
      created_ms BIGINT NOT NULL,
      expires_ms BIGINT NOT NULL
    );
    CREATE INDEX ${t}_expires_ms ON ${t} (expires_ms)`,
  };
}

interface Row {
  data: string;
  created_ms: number | string;
  expires_ms: number | string;
}

/**
 * A session store on a keel/db Database (SQLite or PostgreSQL), shared by every
 * process on that database. Run `sessionStoreMigration()` first.
 *
 * @example
 * import { openDatabase, migrate, sqlSessionStore, sessionStoreMigration } from 'keel/db';
 * const db = await openDatabase({ url: process.env.DATABASE_URL });
 * await migrate(db, [sessionStoreMigration()]);
 * app.use(session({ store: sqlSessionStore(db) }));
 */
export function sqlSessionStore(db: Database, options: SqlSessionStoreOptions = {}): SqlSessionStore {
  const t = checkTable(options.table ?? DEFAULT_SESSION_TABLE);
  const maxCleanupRows = checkInt('maxCleanupRows', options.maxCleanupRows ?? DEFAULT_SESSION_CLEANUP_ROWS, 1);
  const cleanupIntervalMs = checkInt('cleanupIntervalMs', options.cleanupIntervalMs ?? DEFAULT_SESSION_CLEANUP_INTERVAL_MS, 0);
  const now = options.now ?? Date.now;
  let lastCleanupMs = -Infinity;
  const cleanup = async (): Promise<number> => {
    lastCleanupMs = now();
    // A subquery with LIMIT bounds the batch on both engines (DELETE ... LIMIT is not portable).
    const r = await db.run(`DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_ms <= ? LIMIT ?)`, [lastCleanupMs, maxCleanupRows]);
    return r.changes;
  };
  return {
    async get(key) {
      const row = await db.get<Row>(`SELECT data, created_ms, expires_ms FROM ${t} WHERE key = ? AND expires_ms > ?`, [key, now()]);
      if (row === undefined) return undefined;
      // PostgreSQL returns BIGINT as a string (it may exceed 2^53); ms timestamps do not.
      return { data: JSON.parse(row.data) as Record<string, unknown>, createdMs: Number(row.created_ms), expiresMs: Number(row.expires_ms) };
    },
    async set(key, s) {
      // ON CONFLICT ... DO UPDATE with `excluded`: SQLite >= 3.24 and PostgreSQL >= 9.5 share it.
      await db.run(
        `INSERT INTO ${t} (key, data, created_ms, expires_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET data = excluded.data, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms`,
        [key, JSON.stringify(s.data), s.createdMs, s.expiresMs],
      );
      if (now() - lastCleanupMs >= cleanupIntervalMs) await cleanup();
    },
    async touch(key, expiresMs) {
      await db.run(`UPDATE ${t} SET expires_ms = ? WHERE key = ?`, [expiresMs, key]);
    },
    async destroy(key) {
      await db.run(`DELETE FROM ${t} WHERE key = ?`, [key]);
    },
    cleanup,
  };
}
