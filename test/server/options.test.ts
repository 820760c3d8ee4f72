// Tests for src/server/options.ts: defaults, validation, and resolved options frozen (issue #14 item 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, resolveOptions, type ServerOptions } from '../../src/server/options.js';

test('resolveOptions fills in the defaults', () => {
  const o = resolveOptions();
  assert.equal(o.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS);
  assert.equal(o.tlsHandshakeTimeoutMs, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS);
  assert.equal(resolveOptions({ headersTimeoutMs: 5 }).headersTimeoutMs, 5);
});

test('resolved options are frozen: a change after the start throws instead of reaching some connections only', () => {
  const o = resolveOptions({ maxHeaderBytes: 1024 });
  assert.equal(Object.isFrozen(o), true);
  assert.throws(() => {
    (o as { maxHeaderBytes: number }).maxHeaderBytes = 1 << 30;
  }, TypeError);
  assert.equal(o.maxHeaderBytes, 1024);
});

const INVALID: ReadonlyArray<{ name: string; input: ServerOptions; want: RegExp }> = [
  { name: 'unknown name', input: { headerTimeoutMs: 1 } as ServerOptions, want: /unknown server option: headerTimeoutMs/ },
  { name: 'negative number', input: { idleTimeoutMs: -1 }, want: /idleTimeoutMs must be a non-negative number/ },
  { name: 'NaN', input: { lingerMs: NaN }, want: /lingerMs must be a non-negative number/ },
  { name: 'Infinity', input: { tlsHandshakeTimeoutMs: Infinity }, want: /tlsHandshakeTimeoutMs must be a non-negative number/ },
  { name: 'string for a number', input: { maxBufferedBytes: '10' as unknown as number }, want: /maxBufferedBytes must be a non-negative number/ },
];

for (const row of INVALID) {
  test(`resolveOptions rejects: ${row.name}`, () => {
    assert.throws(() => resolveOptions(row.input), { name: 'TypeError', message: row.want });
  });
}
