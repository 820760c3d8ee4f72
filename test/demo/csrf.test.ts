// CSRF nonces and tokens: signed with the app's cookie signing (src/app/cookies.ts), checked in
// constant time, bound to one nonce and one set of keys (issue #12 item 13).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CSRF_COOKIE,
  CSRF_COOKIE_HTTPS,
  csrfCookieName,
  csrfToken,
  isCrossSiteRequest,
  isCsrfNonce,
  isValidCsrfToken,
  newCsrfNonce,
} from '../../src/demo/csrf.js';

const KEYS = ['test-secret'];

describe('csrf', () => {
  test('nonces are random and well-formed', () => {
    const a = newCsrfNonce();
    const b = newCsrfNonce();
    assert.notEqual(a, b);
    assert.equal(isCsrfNonce(a), true);
  });

  test('the cookie is __Host- prefixed over https only', () => {
    assert.equal(csrfCookieName(false), CSRF_COOKIE);
    assert.equal(csrfCookieName(true), CSRF_COOKIE_HTTPS);
    assert.equal(CSRF_COOKIE_HTTPS, '__Host-keel_csrf');
  });

  const nonce = newCsrfNonce();
  const token = csrfToken(KEYS, nonce);
  test('a token does not contain its nonce', () => assert.equal(token.includes(nonce), false));

  const rows = [
    { name: 'the token of this nonce', input: { keys: KEYS, nonce, token }, want: true },
    { name: 'verified by a later key (rotation)', input: { keys: ['new-secret', ...KEYS], nonce, token }, want: true },
    { name: 'another nonce', input: { keys: KEYS, nonce: newCsrfNonce(), token }, want: false },
    { name: 'another key', input: { keys: ['other'], nonce, token }, want: false },
    { name: 'no token', input: { keys: KEYS, nonce, token: undefined }, want: false },
    { name: 'empty token', input: { keys: KEYS, nonce, token: '' }, want: false },
    { name: 'no nonce', input: { keys: KEYS, nonce: undefined, token }, want: false },
    { name: 'malformed nonce', input: { keys: KEYS, nonce: 'x', token: csrfToken(KEYS, 'x') }, want: false },
    { name: 'truncated token', input: { keys: KEYS, nonce, token: token.slice(0, -1) }, want: false },
    { name: 'one character changed', input: { keys: KEYS, nonce, token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }, want: false },
    { name: 'token with a dot moving the split', input: { keys: KEYS, nonce, token: `x.${token}` }, want: false },
    { name: 'non-ASCII token of the right length', input: { keys: KEYS, nonce, token: 'é'.repeat(token.length) }, want: false },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => assert.equal(isValidCsrfToken(input.keys, input.nonce, input.token), want));
  }

  const sites = [
    { name: 'absent (an older browser, or not a browser)', input: undefined, want: false },
    { name: 'same-origin', input: 'same-origin', want: false },
    { name: 'none (typed, bookmarked)', input: 'none', want: false },
    { name: 'cross-site', input: 'cross-site', want: true },
    { name: 'same-site (a sibling subdomain)', input: 'same-site', want: true },
    { name: 'case and spaces ignored', input: ' Cross-Site ', want: true },
  ];
  for (const { name, input, want } of sites) {
    test(`Sec-Fetch-Site ${name}`, () => assert.equal(isCrossSiteRequest(input), want));
  }
});
