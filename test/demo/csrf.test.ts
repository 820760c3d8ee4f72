// The demo's session and CSRF settings (issue #16 item 4; the cookie rules of issue #12 item 13).
// Tokens themselves are tested in test/app/csrf.test.ts, the whole flow in test/demo/app.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SESSION_COOKIE,
  SESSION_COOKIE_HTTPS,
  DEMO_SESSION_IDLE_TIMEOUT_MS,
  DEMO_SESSION_ABSOLUTE_TIMEOUT_MS,
  DEMO_SESSION_MIGRATION,
  sessionCookieName,
  isCrossSiteRequest,
} from '../../src/demo/csrf.js';

describe('demo csrf', () => {
  test('the session cookie is __Host- prefixed over https only', () => {
    assert.equal(sessionCookieName(false), SESSION_COOKIE);
    assert.equal(sessionCookieName(true), SESSION_COOKIE_HTTPS);
    assert.equal(SESSION_COOKIE_HTTPS, '__Host-keel_sid');
  });

  test('the absolute timeout bounds the idle one; the table is keel_sessions', () => {
    assert.ok(DEMO_SESSION_IDLE_TIMEOUT_MS <= DEMO_SESSION_ABSOLUTE_TIMEOUT_MS);
    assert.equal(DEMO_SESSION_MIGRATION.id, 'keel-sessions-001-keel_sessions');
  });

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
