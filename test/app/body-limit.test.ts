/**
 * bodyLimit() and ctx.limitBody() (issue #16 item 8): per-route body limits that tie
 * into the body readers, in memory and over a real socket (a chunked body cut at it).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { App, type RunningServer } from '../../src/app/index.js';
import { bodyLimit } from '../../src/app/body-limit.js';
import { exchange } from '../helpers/socket.js';

function limitApp(): App {
  const app = new App({ onError: () => undefined, json: { maxJsonBytes: 16 } });
  app.post('/small', bodyLimit(4), async (ctx) => ctx.text(String((await ctx.readRaw()).length)));
  app.post('/big-json', bodyLimit(1024), async (ctx) => ctx.json(await ctx.readJson()));
  app.post('/default', async (ctx) => ctx.json(await ctx.readJson()));
  app.post('/never-reads', bodyLimit(4), (ctx) => ctx.text('ran'));
  return app;
}

describe('bodyLimit()', () => {
  const long = JSON.stringify({ text: 'x'.repeat(100) });
  const rows: Array<{ name: string; input: { path: string; body: string }; want: { status: number; body?: string } }> = [
    { name: 'under the route limit', input: { path: '/small', body: 'abcd' }, want: { status: 200, body: '4' } },
    { name: 'over the route limit: 413', input: { path: '/small', body: 'abcde' }, want: { status: 413 } },
    { name: 'a route raises the App limit for its reader', input: { path: '/big-json', body: long }, want: { status: 200, body: long } },
    { name: 'other routes keep the App limit', input: { path: '/default', body: long }, want: { status: 413 } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await limitApp().request(r.input.path, { method: 'POST', body: r.input.body, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, r.want.status);
      const text = await res.text();
      if (r.want.body !== undefined) assert.equal(text, r.want.body);
      else assert.match(text, /ERR_BODY_TOO_LARGE/);
    });
  }

  test('a bad limit is refused at setup', () => {
    assert.throws(() => bodyLimit(-1), RangeError);
    assert.throws(() => bodyLimit(1.5), RangeError);
  });
});

describe('bodyLimit() over a real socket', () => {
  let server: RunningServer;
  before(async () => {
    server = await limitApp().listen(0, '127.0.0.1');
  });
  after(() => server.close());

  test('a chunked body (no declared length) is cut at the route limit by the reader', async () => {
    const { text } = await exchange(
      server.port,
      'POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n',
    );
    assert.match(text, /^HTTP\/1\.1 413 Content Too Large\r\n/);
    assert.match(text, /"code":"ERR_BODY_TOO_LARGE"/);
  });

  test('a declared Content-Length over the limit is 413 before any handler runs', async () => {
    const { text } = await exchange(server.port, 'POST /never-reads HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde');
    assert.match(text, /^HTTP\/1\.1 413 Content Too Large\r\n/);
    assert.doesNotMatch(text, /ran/);
  });
});
