/**
 * The types every database module shares: `Database`, `Queryable` and the values
 * that cross the boundary.
 *
 * Owns type declarations only (no values, no imports), so database.ts, sqlite.ts,
 * postgres.ts and migrations.ts all depend on this file and never on each other
 * in a circle (issue #14 item 8). Must not import anything.
 */

/** Which engine a `Database` talks to; migrations may give SQL per dialect. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * A value that can be bound to a `?` placeholder.
 * Booleans become 1/0 on SQLite (it has no boolean type); bytes become BLOB / BYTEA.
 */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

/** A result row: column name to value. */
export type Row = Record<string, unknown>;

/** What a write statement reports. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number;
}

/** Statements that can run on a whole database or inside one transaction. */
export interface Queryable {
  /** The engine behind this handle. */
  readonly dialect: Dialect;
  /** Runs a query and returns every row. */
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a query and returns its first row, or undefined when there is none. */
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a write statement (INSERT/UPDATE/DELETE/DDL) and returns how many rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** Runs a script of one or more statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

/** An open database: statements, transactions and shutdown. */
export interface Database extends Queryable {
  /**
   * Runs `fn` inside one transaction: COMMIT when its promise resolves, ROLLBACK
   * when it rejects (and the rejection is rethrown). Statements must go through
   * the `tx` handle given to `fn`; statements on the Database itself wait until
   * the transaction has finished (SQLite) or run on another connection (PostgreSQL).
   *
   * @example
   * await db.transaction(async (tx) => {
   *   await tx.run('UPDATE accounts SET balance = balance - ? WHERE id = ?', [10, 1]);
   *   await tx.run('UPDATE accounts SET balance = balance + ? WHERE id = ?', [10, 2]);
   * });
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the file or the connection pool; further statements reject. */
  close(): Promise<void>;
}
