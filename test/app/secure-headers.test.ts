/**
 * secureHeaders() (issue #16 item 8): the defaults, opt-ins, per-route override, and
 * fields on error responses; in memory and as exact bytes over a real socket.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { App, type RunningServer } from '../../src/app/index.js';
import { secureHeaders, type SecureHeadersOptions } from '../../src/app/secure-headers.js';
import { exchange } from '../helpers/socket.js';

const FIXED_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';

function secureApp(options?: SecureHeadersOptions): App {
  const app = new App({ onError: () => undefined });
  app.use(secureHeaders(options));
  app.get('/', (ctx) => ctx.html('<p>hi</p>'));
  app.get('/embeddable', (ctx) => ctx.header('X-Frame-Options', 'DENY').html('<p>framed</p>'));
  return app;
}

describe('secureHeaders()', () => {
  const rows: Array<{ name: string; input: { options?: SecureHeadersOptions; path: string }; want: Record<string, string | null> }> = [
    {
      name: 'safe defaults for an HTML app; no CSP, no HSTS unless asked',
      input: { path: '/' },
      want: {
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'content-security-policy': null,
        'strict-transport-security': null,
      },
    },
    {
      name: 'CSP and HSTS opt-in; a field turned off with false',
      input: { options: { contentSecurityPolicy: "default-src 'self'", strictTransportSecurity: 'max-age=31536000', frameOptions: false }, path: '/' },
      want: { 'content-security-policy': "default-src 'self'", 'strict-transport-security': 'max-age=31536000', 'x-frame-options': null },
    },
    { name: 'a route overrides a field with ctx.header()', input: { path: '/embeddable' }, want: { 'x-frame-options': 'DENY' } },
    { name: 'error responses carry the fields', input: { path: '/missing' }, want: { 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer' } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await secureApp(r.input.options).request(r.input.path);
      for (const [k, v] of Object.entries(r.want)) assert.equal(res.headers.get(k), v, k);
    });
  }

  test('bad values are refused at setup (no header injection)', () => {
    assert.throws(() => secureHeaders({ contentSecurityPolicy: "default-src 'self'\r\nSet-Cookie: a=b" }), TypeError);
    assert.throws(() => secureHeaders({ referrerPolicy: '' }), TypeError);
  });
});

describe('secureHeaders() over a real socket', () => {
  let server: RunningServer;
  before(async () => {
    server = await secureApp().listen(0, '127.0.0.1', { serverOptions: { clock: () => FIXED_MS } });
  });
  after(() => server.close());

  test('exact bytes', async () => {
    const { text } = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(
      text,
      'HTTP/1.1 200 OK\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: SAMEORIGIN\r\nReferrer-Policy: no-referrer\r\n' +
        'Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Resource-Policy: same-origin\r\n' +
        'content-type: text/html; charset=utf-8\r\n' + DATE + 'Content-Length: 9\r\nConnection: close\r\n\r\n<p>hi</p>',
    );
  });
});
