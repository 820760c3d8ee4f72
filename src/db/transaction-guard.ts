/**
 * The misuse check of `transaction()`, shared by both engines (issue #18 item 2).
 *
 * Owns one rule: a statement on the database (or a nested `transaction()`) issued while a
 * transaction's callback runs synchronously, up to its first `await`, is the callback's
 * own (no other request's code can run then) and must use the tx handle instead: on
 * SQLite it would wait for its own transaction forever, on PostgreSQL run outside it.
 * After an await such a call cannot be told from another request's statement and is not
 * caught (docs/database.md). Must not use async context (AsyncLocalStorage): on Node 20
 * it turns on async_hooks promise hooks for the whole process, for good, which cost every
 * later request about 10% CPU. Imports nothing outside db/.
 */
import type { Queryable } from './types.js';

/** One database's "inside a transaction callback" flag. */
export class TransactionGuard {
  /** True only while a transaction callback runs synchronously. */
  isInCallback = false;

  /** Calls `fn(tx)` with the flag set during its synchronous part; returns what it returned. */
  call<T>(fn: (tx: Queryable) => Promise<T>, tx: Queryable): Promise<T> {
    this.isInCallback = true;
    try {
      return fn(tx);
    } finally {
      this.isInCallback = false;
    }
  }
}
