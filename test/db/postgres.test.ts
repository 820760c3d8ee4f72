// The ? -> $n rewrite used by the PostgreSQL driver (pure: needs no server).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toPgPlaceholders } from '../../src/db/postgres.js';

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
