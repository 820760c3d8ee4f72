/**
 * The migrations runner: brings a database's schema up to date at start.
 *
 * Owns the `schema_migrations` table and the rule for applying an ordered list
 * of migrations: each id at most once, in list order, all pending ones in one
 * transaction (so a failing migration leaves the schema as it was). Safe to
 * run from several processes at once: SQLite serialises them with BEGIN
 * IMMEDIATE, PostgreSQL with a transaction-scoped advisory lock.
 * Must not know any application's tables; imports nothing outside db/.
 */
import type { Database, Dialect, Queryable } from './types.js';

/** SQL for one migration, the same on both engines or given per dialect. */
export type MigrationSql = string | { readonly [D in Dialect]: string };

/** One schema change. */
export interface Migration {
  /** Stable unique name, recorded once applied (e.g. `'001-create-entries'`). Never rename an applied one. */
  readonly id: string;
  /** A script of statements, per dialect when they differ, or a function for changes SQL alone cannot express. */
  readonly up: MigrationSql | ((tx: Queryable) => Promise<void>);
}

/** Name of the table recording applied migrations. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** Key of the PostgreSQL advisory lock taken while migrating ("keel" in ASCII). */
const PG_MIGRATION_LOCK_KEY = 0x6b65656c;

/** Options of `migrate()`. */
export interface MigrateOptions {
  /** Clock for the `applied_at` column (ms since the epoch). Default `Date.now`. */
  now?: () => number;
}

/**
 * Applies every migration of `migrations` not yet recorded in `schema_migrations`,
 * in list order, inside one transaction. Returns the ids it applied ([] when the
 * schema was already current). Recorded ids absent from the list are left alone
 * (an older build running against a newer schema).
 *
 * @example
 * await migrate(db, [
 *   { id: '001-entries', up: {
 *     sqlite: 'CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)',
 *     postgres: 'CREATE TABLE entries (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)' } },
 * ]);
 */
export async function migrate(db: Database, migrations: readonly Migration[], options: MigrateOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now;
  const seen = new Set<string>();
  for (const m of migrations) {
    if (m.id === '') throw new Error('migration id must not be empty');
    if (seen.has(m.id)) throw new Error(`duplicate migration id: ${m.id}`);
    seen.add(m.id);
  }
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') {
      // Two instances starting together must not both create the table or apply a
      // migration twice; the lock is released at COMMIT/ROLLBACK.
      await tx.get('SELECT pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK_KEY]);
    }
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    const rows = await tx.all<{ id: string }>(`SELECT id FROM ${MIGRATIONS_TABLE}`);
    const applied = new Set(rows.map((r) => r.id));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      if (typeof m.up === 'function') await m.up(tx);
      else await tx.exec(typeof m.up === 'string' ? m.up : m.up[tx.dialect]);
      await tx.run(`INSERT INTO ${MIGRATIONS_TABLE} (id, applied_at) VALUES (?, ?)`, [m.id, now()]);
      done.push(m.id);
    }
    return done;
  });
}
