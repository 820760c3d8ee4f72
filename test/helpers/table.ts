/**
 * The one table runner for pure functions (STYLE.md "Tests": `{ name, input, want }` rows
 * looped into named subtests), so each test file states its rows, not the loop again.
 *
 * Owns only the loop: one `describe` per table, one `test` per row, `assert.deepEqual`
 * (strict) of `fn(input)` against `want`. Tables whose rows need setup, sockets or
 * several assertions write their own loop. Not a test file itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

/** One row of a table: a subtest name, the input, the wanted result. */
export interface Row<I, W> {
  readonly name: string;
  readonly input: I;
  readonly want: W;
}

/** Runs `fn` on every row's input as a named subtest of `title` and compares with `want`. */
export function table<I, W>(title: string, rows: ReadonlyArray<Row<I, W>>, fn: (input: I) => W): void {
  describe(title, () => {
    for (const { name, input, want } of rows) test(name, () => assert.deepEqual(fn(input), want));
  });
}
