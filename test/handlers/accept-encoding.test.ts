// Tests for src/handlers/accept-encoding.ts: content-coding negotiation (RFC 9110 §12.5.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptableEncodings, negotiateEncoding, type ContentCoding } from '../../src/handlers/accept-encoding.js';

const BOTH: ContentCoding[] = ['br', 'gzip'];

const rows: { name: string; input: string | undefined; available?: ContentCoding[]; want: ContentCoding | undefined }[] = [
  { name: 'absent header: identity', input: undefined, want: undefined },
  { name: 'browser default prefers br', input: 'gzip, deflate, br, zstd', want: 'br' },
  { name: 'gzip only', input: 'gzip', want: 'gzip' },
  { name: 'x-gzip alias', input: 'x-gzip', want: 'gzip' },
  { name: 'case-insensitive', input: 'GZIP', want: 'gzip' },
  { name: 'client weights win', input: 'br;q=0.5, gzip', want: 'gzip' },
  { name: 'q=0 refuses', input: 'br;q=0, gzip;q=0', want: undefined },
  { name: 'star', input: '*', want: 'br' },
  { name: 'star with a refusal', input: '*, br;q=0', want: 'gzip' },
  { name: 'identity only', input: 'identity', want: undefined },
  { name: 'empty header', input: '', want: undefined },
  { name: 'bad qvalue entry skipped', input: 'br;q=2, gzip', want: 'gzip' },
  { name: 'spaces around q', input: 'br ; q = 0.9 , gzip ; q=0.8', want: 'br' },
  { name: 'only what is available', input: 'br, gzip', available: ['gzip'], want: 'gzip' },
];

for (const row of rows) {
  test(`negotiateEncoding: ${row.name}`, () => {
    assert.equal(negotiateEncoding(row.input, row.available ?? BOTH), row.want);
  });
}

test('acceptableEncodings orders by quality then server preference', () => {
  assert.deepEqual(acceptableEncodings('gzip, br', BOTH), ['br', 'gzip']);
  assert.deepEqual(acceptableEncodings('gzip;q=1, br;q=0.5', BOTH), ['gzip', 'br']);
  assert.deepEqual(acceptableEncodings('br;q=0, gzip', BOTH), ['gzip']);
  assert.deepEqual(acceptableEncodings(undefined, BOTH), []);
});
