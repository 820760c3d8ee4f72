/**
 * keel's database entry point, `keel/db`: open SQLite or PostgreSQL behind one
 * async interface and bring its schema up to date.
 *
 * Owns the list of what `keel/db` exports (everything here is maintained
 * forever). Must not export the drivers' internals (`openSqlite`,
 * `openPostgres`, the placeholder rewrite) and must not load a driver: the
 * driver packages are optional and loaded when `openDatabase()` asks for one.
 *
 * @example
 * import { openDatabase, migrate } from 'keel/db';
 * const db = await openDatabase({ url: process.env.DATABASE_URL, file: 'data/app.db' });
 * await migrate(db, [{ id: '001-notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' }]);
 */
export type { Dialect, SqlValue, Row, RunResult, Queryable, Database } from './types.js';
export {
  openDatabase,
  isPostgresUrl,
  isUniqueViolation,
  DEFAULT_SQLITE_FILE,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_PG_POOL_SIZE,
  DEFAULT_PG_CONNECT_TIMEOUT_MS,
  DEFAULT_PG_IDLE_TIMEOUT_MS,
  type OpenDatabaseOptions,
} from './database.js';
export { DbDriverMissingError } from './driver.js';
export { migrate, MIGRATIONS_TABLE, type Migration, type MigrationSql, type MigrateOptions } from './migrations.js';
export {
  sqlSessionStore,
  sessionStoreMigration,
  DEFAULT_SESSION_TABLE,
  DEFAULT_SESSION_CLEANUP_ROWS,
  DEFAULT_SESSION_CLEANUP_INTERVAL_MS,
  type SqlSessionStore,
  type SqlSessionStoreOptions,
  type SqlSessionRecord,
} from './session-store.js';
