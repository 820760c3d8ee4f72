// The ? -> $n rewrite used by the PostgreSQL driver (pure: needs no server).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PgStatementCache, toPgPlaceholders } from '../../src/db/postgres.js';

describe('toPgPlaceholders', () => {
  const rows = [
    { name: 'no placeholders', input: 'SELECT 1', want: 'SELECT 1' },
    { name: 'numbered left to right', input: 'SELECT ? , ?,?', want: 'SELECT $1 , $2,$3' },
    { name: 'single-quoted string kept', input: "SELECT 'a?b', ?", want: "SELECT 'a?b', $1" },
    { name: 'doubled quote inside string', input: "SELECT 'it''s?', ?", want: "SELECT 'it''s?', $1" },
    { name: 'quoted identifier kept', input: 'SELECT "col?" FROM t WHERE x = ?', want: 'SELECT "col?" FROM t WHERE x = $1' },
    { name: 'line comment kept', input: 'SELECT ? -- why?\n, ?', want: 'SELECT $1 -- why?\n, $2' },
    { name: 'block comment kept', input: 'SELECT /* ? */ ?', want: 'SELECT /* ? */ $1' },
    { name: 'dollar-quoted string kept', input: 'SELECT $$a?b$$, ?', want: 'SELECT $$a?b$$, $1' },
    { name: 'tagged dollar quote kept', input: 'SELECT $fn$ ? $$ ? $fn$, ?', want: 'SELECT $fn$ ? $$ ? $fn$, $1' },
    { name: 'existing $1 is not a tag', input: 'SELECT $1, ?', want: 'SELECT $1, $1' },
    { name: 'unterminated string swallows the rest', input: "SELECT 'a ?", want: "SELECT 'a ?" },
    { name: 'ten and more', input: Array(11).fill('?').join(','), want: Array.from({ length: 11 }, (_, i) => `$${i + 1}`).join(',') },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(toPgPlaceholders(input), want));
});

// Issue #18 item 3: SQL text -> named prepared statement, rewritten once, bounded.
describe('PgStatementCache', () => {
  test('names a text once and reuses the name and the rewritten text', () => {
    const cache = new PgStatementCache(2);
    const a1 = cache.config('SELECT ? AS x', [1]);
    const a2 = cache.config('SELECT ? AS x', [2]);
    assert.deepEqual(a1, { name: 'keel_1', text: 'SELECT $1 AS x', values: [1] });
    assert.deepEqual(a2, { name: 'keel_1', text: 'SELECT $1 AS x', values: [2] });
    assert.equal(a1.text, a2.text);
  });

  const rows: Array<{ name: string; input: (c: PgStatementCache) => unknown; want: unknown }> = [
    {
      name: 'distinct texts get distinct names',
      input: (c) => [c.config('SELECT 1', []).name, c.config('SELECT 2', []).name],
      want: ['keel_1', 'keel_2'],
    },
    {
      name: 'past the bound a new text goes unnamed, known texts keep their names',
      input: (c) => [c.config('SELECT 1', []).name, c.config('SELECT 2', []).name, c.config('SELECT ?', [3]), c.config('SELECT 1', []).name],
      want: ['keel_1', 'keel_2', { text: 'SELECT $1', values: [3] }, 'keel_1'],
    },
    {
      name: 'a retired text gets a new name, never the old one',
      input: (c) => [c.config('SELECT 1', []).name, (c.retire('SELECT 1'), c.config('SELECT 1', []).name)],
      want: ['keel_1', 'keel_2'],
    },
    {
      name: 'retired names count against the bound',
      input: (c) => [c.config('SELECT 1', []).name, (c.retire('SELECT 1'), c.config('SELECT 1', []).name), (c.retire('SELECT 1'), c.config('SELECT 1', []).name)],
      want: ['keel_1', 'keel_2', undefined],
    },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.deepEqual(input(new PgStatementCache(2)), want));
});
