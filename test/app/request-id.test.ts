/**
 * requestId() (issue #16 item 5): an incoming X-Request-Id is accepted only when
 * well-formed (charset, `maxRequestIdLength`), else a new one is generated; it is on
 * ctx, echoed in the response (error responses too), and over a real socket.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App } from '../../src/app/index.js';
import { requestId, isWellFormedRequestId, DEFAULT_MAX_REQUEST_ID_LENGTH, type RequestIdOptions } from '../../src/app/request-id.js';
import { exchange } from '../helpers/socket.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function idApp(options?: RequestIdOptions): App {
  const app = new App({ onError: () => undefined });
  app.use(requestId(options));
  app.get('/', (ctx) => ctx.text(ctx.requestId ?? 'none'));
  return app;
}

describe('requestId()', () => {
  const rows: Array<{ name: string; input: { incoming?: string; options?: RequestIdOptions }; want: string | RegExp }> = [
    { name: 'no incoming id: a random UUID', input: {}, want: UUID },
    { name: 'a well-formed incoming id is kept', input: { incoming: 'req-7f3a_b.c:d+e/f=@g' }, want: 'req-7f3a_b.c:d+e/f=@g' },
    { name: 'a space is refused', input: { incoming: 'a b' }, want: UUID },
    { name: 'a quote is refused', input: { incoming: 'a"b' }, want: UUID },
    { name: 'a comma (two ids joined) is refused', input: { incoming: 'a, b' }, want: UUID },
    { name: `at ${DEFAULT_MAX_REQUEST_ID_LENGTH} characters it is kept`, input: { incoming: 'a'.repeat(DEFAULT_MAX_REQUEST_ID_LENGTH) }, want: 'a'.repeat(DEFAULT_MAX_REQUEST_ID_LENGTH) },
    { name: 'one over maxRequestIdLength is replaced, not trimmed', input: { incoming: 'a'.repeat(DEFAULT_MAX_REQUEST_ID_LENGTH + 1) }, want: UUID },
    { name: 'a smaller maxRequestIdLength', input: { incoming: 'abcdef', options: { maxRequestIdLength: 5 } }, want: UUID },
    { name: 'maxRequestIdLength 0 ignores incoming ids', input: { incoming: 'abc', options: { maxRequestIdLength: 0 } }, want: UUID },
    { name: 'a custom generator', input: { options: { generate: () => 'g-1' } }, want: 'g-1' },
    { name: 'a custom header', input: { incoming: 'abc', options: { header: 'x-correlation-id' } }, want: UUID },
  ];
  for (const { name, input, want } of rows) {
    test(name, async () => {
      const res = await idApp(input.options).request('/', { headers: input.incoming === undefined ? {} : { 'x-request-id': input.incoming } });
      const body = await res.text();
      const header = input.options?.header ?? 'x-request-id';
      if (typeof want === 'string') assert.equal(body, want);
      else assert.match(body, want);
      assert.equal(res.headers.get(header), body, 'echoed in the response');
    });
  }

  test('error responses echo it too', async () => {
    const res = await idApp().request('/missing', { headers: { 'x-request-id': 'abc' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-request-id'), 'abc');
  });

  test('bad options are refused at setup', () => {
    assert.throws(() => requestId({ header: 'x id' }), TypeError);
    assert.throws(() => requestId({ maxRequestIdLength: -1 }), RangeError);
    assert.equal(isWellFormedRequestId(''), false);
  });

  test('over a real socket: a CRLF-free id round-trips, a bad one is replaced', async () => {
    const server = await idApp().listen(0, '127.0.0.1');
    try {
      const good = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\nConnection: close\r\n\r\n');
      assert.match(good.text, /\r\nx-request-id: abc-123\r\n/i);
      const bad = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: <script>\r\nConnection: close\r\n\r\n');
      assert.doesNotMatch(bad.text, /<script>/);
      assert.match(bad.text, /\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    } finally {
      await server.close();
    }
  });
});
