/**
 * The PostgreSQL implementation of `Database`, on `pg` (a connection Pool).
 *
 * Owns the pool, the `?` -> `$n` placeholder rewrite, named prepared
 * statements (the rewrite and a name cached per SQL text), value conversion, and
 * transactions on one checked-out connection. `pg` is loaded with a dynamic
 * import on first use, so SQLite users never load it. Imports nothing from
 * wire/, server/ or app/. Never puts the connection URL (it may hold a
 * password) in an error message.
 */
import type { Pool, PoolClient, QueryConfig } from 'pg';
import type { Database, Queryable, Row, RunResult, SqlValue } from './types.js';
import { loadDriver } from './driver.js';
import { TransactionGuard } from './transaction-guard.js';

/** Options of `openPostgres()`; database.ts fills the defaults. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/db` (pg's connection string syntax). */
  url: string;
  /** Most connections in the pool. */
  poolSize: number;
  /** Time to wait for a connection before the statement fails. */
  connectTimeoutMs: number;
  /** Idle time after which a pooled connection is closed. */
  idleTimeoutMs: number;
}

/**
 * Most SQL texts one database (pool) prepares as named statements. A named statement is
 * parsed once per connection and then only bound and executed (pg keeps it per
 * connection; issue #18 measured 22.8k unnamed against 32-38k named selects/s). Beyond
 * this many distinct texts, statements go unnamed (parsed every time, as before) instead
 * of evicting: a name stays prepared on every connection that used it until the
 * connection closes, so a bound on names handed out is what bounds each connection's
 * prepared statements on the server. The same figure as SQLite's statement cache
 * (SQLITE_STATEMENT_CACHE_SIZE): enough for an app's fixed SQL.
 */
export const PG_NAMED_STATEMENTS_MAX = 200;

/** SQLSTATE 0A000 with this message: a named statement's result columns changed (ALTER TABLE under SELECT *). */
const STALE_PLAN = /cached plan must not change result type/;

/**
 * SQL text -> pg query config: the `$n` text rewritten once, and a statement name for the
 * first PG_NAMED_STATEMENTS_MAX distinct texts. Names are never reused: a retired name may
 * still be prepared (with its old plan) on some connection.
 */
export class PgStatementCache {
  readonly #byText = new Map<string, { name: string; text: string }>();
  readonly #maxNames: number;
  #namesHandedOut = 0;

  constructor(maxNames = PG_NAMED_STATEMENTS_MAX) {
    this.#maxNames = maxNames;
  }

  /** The query config for `sql` with these values: named while names are left, else unnamed. */
  config(sql: string, values: unknown[]): QueryConfig {
    const known = this.#byText.get(sql);
    if (known !== undefined) return { name: known.name, text: known.text, values };
    const text = toPgPlaceholders(sql);
    if (this.#namesHandedOut >= this.#maxNames) return { text, values };
    this.#namesHandedOut += 1;
    const entry = { name: `keel_${this.#namesHandedOut}`, text };
    this.#byText.set(sql, entry);
    return { name: entry.name, text, values };
  }

  /** Forgets `sql`'s name (its plan went stale); its next use gets a new one while names are left. */
  retire(sql: string): void {
    this.#byText.delete(sql);
  }
}

/** PostgreSQL type OID of int8/BIGINT (pg_type.dat). */
const PG_INT8_OID = 20;

/**
 * Rewrites `?` placeholders to PostgreSQL's `$1..$n`, left to right.
 * A `?` inside a 'string', a "quoted identifier", a $tag$dollar-quoted$tag$
 * string, a -- line comment or a block comment is left alone. Every other `?`
 * is a placeholder (so PostgreSQL's jsonb `?` operators cannot be used; write
 * `jsonb_exists()` instead).
 */
export function toPgPlaceholders(sql: string): string {
  if (!sql.includes('?')) return sql;
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    let end = -1;
    if (c === "'" || c === '"') {
      // A doubled quote inside ('it''s') closes and reopens: scanning segment by segment is equivalent.
      const close = sql.indexOf(c, i + 1);
      end = close === -1 ? sql.length : close + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
    } else if (c === '$') {
      // A dollar-quote tag cannot start with a digit, so $1 is never mistaken for one.
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        end = close === -1 ? sql.length : close + tag.length;
      }
    } else if (c === '?') {
      n += 1;
      out += `$${n}`;
      i += 1;
      continue;
    }
    if (end === -1) end = i + 1;
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

/** Converts our bind values to what pg sends as text parameters. */
function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map((v) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v,
  );
}

/** int8 as a number when it fits exactly (COUNT(*), BIGINT ms timestamps), else the decimal string. */
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** Something that can run a query: the pool or one checked-out client. */
type PgRunner = Pick<Pool, 'query'> | PoolClient;

/**
 * The four statement methods, shared by the pool and a transaction's client; each
 * subclass says what runs the statement (and refuses when it must not).
 */
abstract class PgStatements {
  readonly dialect = 'postgres' as const;
  readonly #statements: PgStatementCache;

  constructor(statements: PgStatementCache) {
    this.#statements = statements;
  }

  /** What runs the next statement; throws when this handle may not be used now. */
  protected abstract runner(): PgRunner;

  /** Whether a failed statement may be sent again (not inside a transaction: the error aborted it). */
  protected abstract canRetry(): boolean;

  async #query(sql: string, params: readonly SqlValue[]) {
    const runner = this.runner();
    const config = this.#statements.config(sql, bindable(params));
    try {
      return await runner.query(config);
    } catch (err) {
      // A schema change under a named statement (SELECT * after ALTER TABLE) fails it
      // before it runs; the next use prepares it afresh under a new name.
      if (config.name === undefined || (err as { code?: unknown }).code !== '0A000' || !STALE_PLAN.test(String((err as Error).message))) throw err;
      this.#statements.retire(sql);
      if (!this.canRetry()) throw err;
      return runner.query({ text: config.text, values: config.values });
    }
  }

  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }
  async get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return { changes: (await this.#query(sql, params)).rowCount ?? 0 };
  }
  async exec(sql: string): Promise<void> {
    // Without values pg uses the simple query protocol, which accepts several statements.
    await this.runner().query(sql);
  }
}

class PostgresTransaction extends PgStatements implements Queryable {
  readonly #client: PoolClient;
  isDone = false;

  constructor(client: PoolClient, statements: PgStatementCache) {
    super(statements);
    this.#client = client;
  }

  protected canRetry(): boolean {
    return false;
  }

  protected runner(): PoolClient {
    if (this.isDone) throw new Error('transaction handle used after its transaction ended');
    return this.#client;
  }
}

class PostgresDatabase extends PgStatements implements Database {
  readonly #pool: Pool;
  /** The pool's statement cache, shared with its transactions (names are per connection, texts per pool). */
  readonly #statementsForTx: PgStatementCache;
  /** Catches a database call from inside a transaction callback (transaction-guard.ts). */
  readonly #guard = new TransactionGuard();
  #isClosed = false;

  constructor(pool: Pool) {
    const statements = new PgStatementCache();
    super(statements);
    this.#pool = pool;
    this.#statementsForTx = statements;
  }

  protected canRetry(): boolean {
    return true;
  }

  protected runner(): Pool {
    if (this.#isClosed) throw new Error('database is closed');
    // Same rule as SQLite, so code that works on one engine works on the other:
    // a statement on the database inside transaction() would run outside it.
    if (this.#guard.isInCallback) throw new Error('inside transaction(), use the tx handle, not the database');
    return this.#pool;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.runner().connect();
    const tx = new PostgresTransaction(client, this.#statementsForTx);
    let releaseError: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await this.#guard.call(fn, tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is in an unknown state: destroy it instead of returning it to the pool.
          releaseError = rollbackErr as Error;
        }
        throw err;
      }
    } finally {
      tx.isDone = true;
      client.release(releaseError);
    }
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    await this.#pool.end();
  }
}

/** Opens a pool to PostgreSQL and checks it with one round trip, so a bad URL fails at start. */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const { default: pg } = await loadDriver('postgres', () => import('pg'));
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled connection that dies (server restart) emits 'error' on the pool;
  // unhandled, that would crash the process. pg drops the client; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return new PostgresDatabase(pool);
}
