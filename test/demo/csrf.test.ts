// CSRF tokens: signed double-submit, checked in constant time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfToken, isCsrfNonce, isValidCsrfToken, newCsrfNonce } from '../../src/demo/csrf.js';

const SECRET = 'test-secret';

describe('csrf', () => {
  test('nonces are random and well-formed', () => {
    const a = newCsrfNonce();
    const b = newCsrfNonce();
    assert.notEqual(a, b);
    assert.equal(isCsrfNonce(a), true);
  });

  const nonce = newCsrfNonce();
  const token = csrfToken(SECRET, nonce);
  const rows = [
    { name: 'the token of this nonce', input: { secret: SECRET, nonce, token }, want: true },
    { name: 'another nonce', input: { secret: SECRET, nonce: newCsrfNonce(), token }, want: false },
    { name: 'another secret', input: { secret: 'other', nonce, token }, want: false },
    { name: 'no token', input: { secret: SECRET, nonce, token: undefined }, want: false },
    { name: 'no nonce', input: { secret: SECRET, nonce: undefined, token }, want: false },
    { name: 'malformed nonce', input: { secret: SECRET, nonce: 'x', token: csrfToken(SECRET, 'x') }, want: false },
    { name: 'truncated token', input: { secret: SECRET, nonce, token: token.slice(0, -1) }, want: false },
    { name: 'one character changed', input: { secret: SECRET, nonce, token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }, want: false },
    { name: 'non-ASCII token of the right length', input: { secret: SECRET, nonce, token: 'é'.repeat(token.length) }, want: false },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => assert.equal(isValidCsrfToken(input.secret, input.nonce, input.token), want));
  }
});
