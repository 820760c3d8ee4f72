/**
 * CSRF on sessions (issue #16 item 4): tokens bound to the session, masked per response,
 * refused with 403 ERR_CSRF when missing, forged, from another session, or when the
 * browser reports a cross-site or same-site sender; csrf() for header-carrying clients,
 * verifyCsrf() for forms; in memory and once over a real socket.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App, session, memorySessionStore, csrf, csrfToken, verifyCsrf, CSRF_ERROR_CODE } from '../../src/app/index.js';
import { exchange } from '../helpers/socket.js';

function makeApp(): App {
  const app = new App({ keys: ['k'], onError: () => undefined });
  app.use(session({ store: memorySessionStore() }));
  app.get('/token', async (ctx) => ctx.text(await csrfToken(ctx)));
  app.post('/form', async (ctx) => {
    const fields = await ctx.readForm();
    await verifyCsrf(ctx, typeof fields.csrf === 'string' ? fields.csrf : undefined);
    ctx.text('accepted');
  });
  const api = new App({ keys: ['k'], onError: () => undefined });
  api.use(csrf());
  api.get('/read', (ctx) => ctx.text('read'));
  api.post('/write', (ctx) => ctx.text('written'));
  app.mount('/api', api);
  return app;
}

/** A session with a token: [cookie, token]. */
async function visit(app: App): Promise<[string, string]> {
  const res = await app.request('/token');
  return [res.headers.getSetCookie()[0]!.split(';')[0]!, await res.text()];
}

const FORM = 'application/x-www-form-urlencoded';

describe('csrf on sessions', () => {
  test('csrfToken(): a new masked text on each call, all valid for the session', async () => {
    const app = makeApp();
    const [cookie, t1] = await visit(app);
    const t2 = await (await app.request('/token', { headers: { cookie } })).text();
    assert.match(t1, /^[A-Za-z0-9_-]{86}$/);
    assert.notEqual(t1, t2);
    for (const t of [t1, t2]) {
      const res = await app.request('/form', { method: 'POST', headers: { cookie, 'content-type': FORM }, body: `csrf=${t}` });
      assert.equal(await res.text(), 'accepted');
    }
  });

  const refused: Array<{ name: string; input: (cookie: string, token: string, other: [string, string]) => { cookie?: string; body: string; site?: string } }> = [
    { name: 'no token', input: (cookie) => ({ cookie, body: 'x=1' }) },
    { name: 'an empty token', input: (cookie) => ({ cookie, body: 'csrf=' }) },
    { name: 'a token of the right shape, made up', input: (cookie) => ({ cookie, body: `csrf=${'A'.repeat(86)}` }) },
    { name: 'a token with one character changed', input: (cookie, token) => ({ cookie, body: `csrf=${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}` }) },
    { name: 'another session\'s token (no binding to the attacker\'s own session)', input: (cookie, _t, other) => ({ cookie, body: `csrf=${other[1]}` }) },
    { name: 'a valid token without the session cookie', input: (_c, token) => ({ body: `csrf=${token}` }) },
    { name: 'a valid token with Sec-Fetch-Site: cross-site', input: (cookie, token) => ({ cookie, body: `csrf=${token}`, site: 'cross-site' }) },
    { name: 'a valid token with Sec-Fetch-Site: same-site', input: (cookie, token) => ({ cookie, body: `csrf=${token}`, site: 'Same-Site' }) },
  ];
  for (const row of refused) {
    test(`verifyCsrf() refuses ${row.name}: 403 ${CSRF_ERROR_CODE}`, async () => {
      const app = makeApp();
      const [cookie, token] = await visit(app);
      const other = await visit(app);
      const input = row.input(cookie, token, other);
      const headers: Record<string, string> = { 'content-type': FORM, accept: 'application/json' };
      if (input.cookie !== undefined) headers.cookie = input.cookie;
      if (input.site !== undefined) headers['sec-fetch-site'] = input.site;
      const res = await app.request('/form', { method: 'POST', headers, body: input.body });
      assert.equal(res.status, 403);
      assert.match(await res.text(), new RegExp(CSRF_ERROR_CODE));
    });
  }

  test('Sec-Fetch-Site: same-origin and none pass with a valid token', async () => {
    const app = makeApp();
    const [cookie, token] = await visit(app);
    for (const site of ['same-origin', 'none']) {
      const res = await app.request('/form', { method: 'POST', headers: { cookie, 'content-type': FORM, 'sec-fetch-site': site }, body: `csrf=${token}` });
      assert.equal(res.status, 200, site);
    }
  });

  test('csrf(): safe methods pass; an unsafe one needs X-CSRF-Token of the session', async () => {
    const app = makeApp();
    const [cookie, token] = await visit(app);
    assert.equal((await app.request('/api/read', { headers: { cookie } })).status, 200);
    assert.equal((await app.request('/api/write', { method: 'POST', headers: { cookie } })).status, 403);
    const ok = await app.request('/api/write', { method: 'POST', headers: { cookie, 'x-csrf-token': token } });
    assert.equal(await ok.text(), 'written');
  });

  test('csrf() rejects an invalid header name at setup', () => {
    assert.throws(() => csrf({ header: 'bad header' }), TypeError);
  });

  test('over a real socket: a forged POST gets 403 with the code', async () => {
    const app = makeApp();
    const server = await app.listen(0);
    try {
      const body = 'csrf=nope';
      const { text } = await exchange(
        server.port,
        `POST /form HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: ${FORM}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.match(text, /"code":"ERR_CSRF"/);
    } finally {
      await server.close();
    }
  });
});
