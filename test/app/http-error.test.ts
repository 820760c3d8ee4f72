import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError, prefersHtml, sendError } from '../../src/app/http-error.js';
import { MemoryRequest, MemoryResponse } from '../../src/app/inject.js';
import { App, type Context } from '../../src/app/index.js';
import { exchange } from '../helpers/socket.js';
import { parseResponse } from '../helpers/http.js';
import { table } from '../helpers/table.js';

table<string | undefined, boolean>(
  'prefersHtml (Accept by q-value, RFC 9110 §12.5.1)',
  [
    { name: 'absent', input: undefined, want: false },
    { name: 'browser', input: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', want: true },
    { name: 'json only', input: 'application/json', want: false },
    { name: 'json first', input: 'application/json, text/html', want: false },
    // Order of appearance carries no preference (RFC 9110 §12.5.1): a tie goes to JSON.
    { name: 'both, equal q: JSON', input: 'text/html, application/json', want: false },
    // The bug of issue #14 item 5: the old check picked the first named type and answered HTML.
    { name: 'html first but at a lower q: JSON', input: 'text/html;q=0.5, application/json', want: false },
    { name: 'json first but at a lower q: HTML', input: 'application/json;q=0.1, text/html', want: true },
    { name: 'html refused with q=0', input: 'text/html;q=0, */*', want: false },
    { name: 'html with q=0.5', input: 'text/html;q=0.5', want: true },
    { name: 'case-insensitive', input: 'TEXT/HTML', want: true },
    { name: 'wildcard only', input: '*/*', want: false },
  ],
  prefersHtml,
);

describe('sendError', () => {
  async function run(err: unknown, accept?: string, dev = false, prepare?: (res: MemoryResponse) => void) {
    const req = new MemoryRequest({ headers: accept === undefined ? [] : [['accept', accept]] });
    const res = new MemoryResponse();
    prepare?.(res);
    sendError(req, res, err, { dev });
    return res.response;
  }

  test('HttpError headers are sent, stale content headers removed', async () => {
    const r = await run(new HttpError(401, 'Log in', { headers: { 'WWW-Authenticate': 'Basic realm="x"' } }), undefined, false, (res) => {
      res.headers.set('content-type', 'image/png').set('etag', '"1"').set('x-keep', 'yes');
    });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="x"');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('etag'), null);
    assert.equal(r.headers.get('x-keep'), 'yes');
    assert.deepEqual(await r.json(), { error: { status: 401, code: 'ERR_HTTP', message: 'Log in' } });
  });

  test('a 5xx HttpError message is hidden unless expose', async () => {
    assert.equal(((await (await run(new HttpError(503, 'db down'))).json()) as { error: { message: string } }).error.message, 'Service Unavailable');
    assert.equal(((await (await run(new HttpError(503, 'try later', { expose: true }))).json()) as { error: { message: string } }).error.message, 'try later');
  });

  test('HTML escapes the message', async () => {
    const r = await run(new HttpError(400, '<script>x</script>'), 'text/html');
    const body = await r.text();
    assert.match(body, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.doesNotMatch(body, /<script>/);
  });

  test('thrown non-errors are 500', async () => {
    for (const thrown of [undefined, null, 'a string', 42, { status: 'nope' }, { status: 200 }]) {
      assert.equal((await run(thrown)).status, 500);
    }
  });

  test('after the head was sent the response is destroyed, not ended (its body errors)', async () => {
    const req = new MemoryRequest({});
    const res = new MemoryResponse();
    res.write('partial');
    const boom = new Error('x');
    sendError(req, res, boom);
    assert.equal(res.finished, false);
    assert.equal(res.closed, true);
    const r = await res.response;
    assert.equal(r.status, 200);
    await assert.rejects(r.text());
  });

  test('an unregistered status shows its class name, never an empty message (RFC 9110 §15)', async () => {
    const r = await run(new HttpError(499));
    assert.deepEqual(await r.json(), { error: { status: 499, code: 'ERR_HTTP', message: 'Client Error' } });
  });
});

// Before: sendError called res.end() once the head was out, so an App handler that threw
// mid-body sent the last chunk and the client saw a complete-looking, truncated response.
describe('a handler that throws mid-body, on a socket', () => {
  const rows = [
    { name: 'chunked: no last chunk, the connection is cut', input: '/chunked', want: { status: 200, body: '7\r\npartial\r\n' } },
    { name: 'Content-Length: fewer bytes than declared, then close', input: '/sized', want: { status: 200, body: 'partial' } },
  ];
  for (const { name, input, want } of rows) {
    test(name, { timeout: 10_000 }, async () => {
      const app = new App({ onError: () => undefined });
      const throwAfterWrite = async (ctx: Context): Promise<void> => {
        ctx.res.write('partial');
        await new Promise<void>((resolve) => setImmediate(resolve));
        throw new Error('failed mid-body');
      };
      app.get('/chunked', throwAfterWrite);
      app.get('/sized', (ctx) => {
        ctx.res.headers.set('content-length', 100);
        return throwAfterWrite(ctx);
      });
      const serverErrors: unknown[] = [];
      const server = await app.listen(0, '127.0.0.1', { serverOptions: { onError: (err) => serverErrors.push(err) } });
      try {
        const got = await exchange(server.port, `GET ${input} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const res = parseResponse(got.bytes);
        assert.equal(res.status, want.status);
        assert.equal(res.isComplete, false);
        assert.equal(got.text.slice(got.text.indexOf('\r\n\r\n') + 4), want.body);
        // The server closed the connection although the client did not ask it to.
        assert.equal(res.headers['connection'], undefined);
      } finally {
        await server.close();
      }
      assert.ok(serverErrors.some((e) => (e as Error).message === 'failed mid-body'), 'the error reached the server via destroy(err)');
    });
  }
});
