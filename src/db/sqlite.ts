/**
 * The SQLite implementation of `Database`, on better-sqlite3 (the embedded default).
 *
 * Owns opening the file (directory created, WAL journal, busy timeout), binding
 * values, a small prepared-statement cache, and serialising transactions.
 * Must not be imported eagerly by anything a PostgreSQL user loads: database.ts
 * imports it on demand. Imports nothing from wire/, server/ or app/.
 *
 * Theory of operation: better-sqlite3 is synchronous and one connection has one
 * transaction at a time. Our interface is async, so a transaction's callback
 * can await between statements; meanwhile other requests of the same process
 * must not slip their statements into it. A FIFO lock does that: while a
 * transaction holds it, top-level statements queue behind it. The lock is
 * shared by every connection this process has open on the same file: SQLite's
 * busy handler waits synchronously, so a second connection in the same thread
 * waiting for the first one's write lock would block the very event loop the
 * first one needs to finish (a deadlock until busy_timeout). Other processes
 * are kept apart by SQLite's own file locks (BEGIN IMMEDIATE + busy_timeout).
 *
 * Misuse inside a transaction (a statement on the database instead of the tx
 * handle, or a nested transaction()) would queue behind the transaction that
 * waits for it; transaction-guard.ts catches what can be caught without async
 * context (issue #18).
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database, Queryable, Row, RunResult, SqlValue } from './types.js';
import { loadDriver } from './driver.js';
import { TransactionGuard } from './transaction-guard.js';

/** Options of `openSqlite()`; database.ts fills the defaults. */
export interface SqliteOptions {
  /** File path, or `:memory:`. Its directory is created when missing. */
  file: string;
  /** SQLite `busy_timeout`: how long to wait for another process's lock. */
  busyTimeoutMs: number;
}

/** Prepared statements kept per connection; past this the oldest is dropped. Enough for an app's fixed SQL. */
export const SQLITE_STATEMENT_CACHE_SIZE = 200;

/** One value as better-sqlite3 accepts it (it rejects booleans and Uint8Arrays that are not Buffers). */
function bindValue(v: SqlValue): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v;
}

/**
 * Our bind values as better-sqlite3 accepts them, passed as one array (it binds an
 * array's elements as the anonymous parameters). The common case, where no value needs
 * converting, passes `params` itself: no copy per statement.
 */
function bindable(params: readonly SqlValue[]): readonly unknown[] {
  for (let i = 0; i < params.length; i++) {
    const v = params[i];
    if (typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Buffer.isBuffer(v))) return params.map(bindValue);
  }
  return params;
}

/** A FIFO async mutex: one holder, waiters served in arrival order. */
class FifoLock {
  isLocked = false;
  /** Open connections sharing this lock; the registry entry goes when it drops to 0. */
  refs = 0;
  readonly #waiters: Array<() => void> = [];

  acquire(): Promise<void> {
    if (!this.isLocked) {
      this.isLocked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.isLocked = false;
  }
}

/** One lock per database file open in this process (key: real path). */
const fileLocks = new Map<string, FifoLock>();

/** A cached statement and whether it returns rows (read once: `reader` is a native accessor). */
interface CachedStatement {
  stmt: BetterSqlite3.Statement;
  isReader: boolean;
}

/** Statements on one better-sqlite3 connection, shared by the database and its transactions. */
class Statements {
  readonly #db: BetterSqlite3.Database;
  readonly #cache = new Map<string, CachedStatement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  #prepare(sql: string): CachedStatement {
    let cached = this.#cache.get(sql);
    if (cached === undefined) {
      const stmt = this.#db.prepare(sql);
      cached = { stmt, isReader: stmt.reader };
      if (this.#cache.size >= SQLITE_STATEMENT_CACHE_SIZE) {
        const oldest = this.#cache.keys().next().value as string;
        this.#cache.delete(oldest);
      }
      this.#cache.set(sql, cached);
    }
    return cached;
  }

  all<T>(sql: string, params: readonly SqlValue[]): T[] {
    const { stmt, isReader } = this.#prepare(sql);
    // A statement without result columns (plain INSERT) returns no rows rather than throwing.
    if (!isReader) {
      stmt.run(bindable(params));
      return [];
    }
    return stmt.all(bindable(params)) as T[];
  }

  get<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    const { stmt, isReader } = this.#prepare(sql);
    if (!isReader) {
      stmt.run(bindable(params));
      return undefined;
    }
    return stmt.get(bindable(params)) as T | undefined;
  }

  run(sql: string, params: readonly SqlValue[]): RunResult {
    const info = this.#prepare(sql).stmt.run(bindable(params));
    return { changes: info.changes };
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }
}

/** The handle a transaction callback gets; it stops working once the transaction ends. */
class SqliteTransaction implements Queryable {
  readonly dialect = 'sqlite' as const;
  readonly #statements: Statements;
  isDone = false;

  constructor(statements: Statements) {
    this.#statements = statements;
  }

  #check(): Statements {
    if (this.isDone) throw new Error('transaction handle used after its transaction ended');
    return this.#statements;
  }

  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#check().all<T>(sql, params);
  }
  async get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#check().get<T>(sql, params);
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return this.#check().run(sql, params);
  }
  async exec(sql: string): Promise<void> {
    this.#check().exec(sql);
  }
}

class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly #db: BetterSqlite3.Database;
  readonly #statements: Statements;
  /** Catches a database call from inside a transaction callback (transaction-guard.ts). */
  readonly #guard = new TransactionGuard();
  readonly #lock: FifoLock;
  readonly #lockKey: string | undefined;
  #isClosed = false;

  constructor(db: BetterSqlite3.Database, lockKey: string | undefined) {
    this.#db = db;
    this.#statements = new Statements(db);
    this.#lockKey = lockKey;
    let lock = lockKey === undefined ? undefined : fileLocks.get(lockKey);
    if (lock === undefined) {
      lock = new FifoLock();
      if (lockKey !== undefined) fileLocks.set(lockKey, lock);
    }
    lock.refs += 1;
    this.#lock = lock;
  }

  /**
   * Whether a top-level statement must wait for the running transaction; throws when it
   * must not run at all. Statements that need not wait run at once, with no closure and
   * one promise (the result's).
   */
  #mustQueue(): boolean {
    if (this.#isClosed) throw new Error('database is closed');
    if (this.#guard.isInCallback) {
      // Waiting here would wait for our own transaction: fail loudly instead of hanging.
      throw new Error('inside transaction(), use the tx handle, not the database');
    }
    return this.#lock.isLocked;
  }

  /** Runs a top-level statement after the running transaction. */
  async #queued<T>(op: () => T): Promise<T> {
    await this.#lock.acquire();
    try {
      if (this.#isClosed) throw new Error('database is closed');
      return op();
    } finally {
      this.#lock.release();
    }
  }

  all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      if (this.#mustQueue()) return this.#queued(() => this.#statements.all<T>(sql, params));
      return Promise.resolve(this.#statements.all<T>(sql, params));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    try {
      if (this.#mustQueue()) return this.#queued(() => this.#statements.get<T>(sql, params));
      return Promise.resolve(this.#statements.get<T>(sql, params));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    try {
      if (this.#mustQueue()) return this.#queued(() => this.#statements.run(sql, params));
      return Promise.resolve(this.#statements.run(sql, params));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  exec(sql: string): Promise<void> {
    try {
      if (this.#mustQueue()) return this.#queued(() => this.#statements.exec(sql));
      this.#statements.exec(sql);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#isClosed) throw new Error('database is closed');
    if (this.#guard.isInCallback) throw new Error('nested transaction() is not supported; use the tx handle');
    await this.#lock.acquire();
    const tx = new SqliteTransaction(this.#statements);
    try {
      if (this.#isClosed) throw new Error('database is closed');
      // IMMEDIATE takes the write lock now, so two processes cannot both read and
      // then deadlock upgrading to a write (SQLite docs, "BEGIN IMMEDIATE").
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.#guard.call(fn, tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      tx.isDone = true;
      this.#lock.release();
    }
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    await this.#lock.acquire();
    try {
      this.#isClosed = true;
      this.#db.close();
    } finally {
      this.#lock.release();
      this.#lock.refs -= 1;
      if (this.#lock.refs === 0 && this.#lockKey !== undefined) fileLocks.delete(this.#lockKey);
    }
  }
}

/** Opens (creating when missing) an SQLite database file with WAL and a busy timeout. */
export async function openSqlite(options: SqliteOptions): Promise<Database> {
  const { default: Sqlite } = await loadDriver('sqlite', () => import('better-sqlite3'));
  const isMemory = options.file === ':memory:' || options.file === '';
  if (!isMemory) mkdirSync(dirname(options.file), { recursive: true });
  const db = new Sqlite(options.file, { timeout: options.busyTimeoutMs });
  try {
    // WAL lets readers run while one writer writes, across processes (--workers).
    if (!isMemory) db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash or
    // power loss may lose the last commits (SQLite docs, "synchronous").
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteDatabase(db, isMemory ? undefined : realpathSync(options.file));
}
