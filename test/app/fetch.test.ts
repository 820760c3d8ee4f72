import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toHandler, toFetchRequest } from '../../src/app/fetch.js';
import { MemoryRequest, runFetchRequest } from '../../src/app/inject.js';
import { App } from '../../src/app/index.js';

/** Runs a WHATWG fetch handler through toHandler and the in-memory writer. */
function viaKeel(fetchHandler: (r: Request) => Response | Promise<Response>, request: Request, onError?: (e: unknown) => void): Promise<Response> {
  return runFetchRequest(toHandler(fetchHandler, { onError }), request);
}

describe('toHandler: a WHATWG fetch handler as a keel Handler', () => {
  test('status, headers, several Set-Cookie, body', async () => {
    const res = await viaKeel(() => {
      const h = new Headers({ 'content-type': 'text/plain', 'x-a': '1', connection: 'close' });
      h.append('set-cookie', 'a=1');
      h.append('set-cookie', 'b=2');
      return new Response('hello', { status: 201, headers: h });
    }, new Request('http://h/x'));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-a'), '1');
    assert.equal(res.headers.get('connection'), null, 'hop-by-hop fields are not forwarded');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(await res.text(), 'hello');
  });

  test('the Request has the URL from Host, the method, headers and the body', async () => {
    const res = await viaKeel(async (r) => Response.json({ url: r.url, method: r.method, x: r.headers.get('x-y'), body: await r.text() }), new Request('http://example.test:8080/p/a?q=1', { method: 'POST', headers: { 'x-y': 'z' }, body: 'payload' }));
    assert.deepEqual(await res.json(), { url: 'http://example.test:8080/p/a?q=1', method: 'POST', x: 'z', body: 'payload' });
  });

  test('toFetchRequest uses https on TLS and keeps a chunked body streaming', async () => {
    const req = new MemoryRequest({ method: 'PUT', target: '/u?x', headers: [['host', 'a.test']], isSecure: true, body: (async function* () { yield Buffer.from('ab'); yield Buffer.from('cd'); })() });
    const r = toFetchRequest(req);
    assert.equal(r.url, 'https://a.test/u?x');
    assert.equal(await r.text(), 'abcd');
  });

  test('HEAD: headers kept, body not sent', async () => {
    const res = await viaKeel(() => new Response('abc', { headers: { 'content-length': '3' } }), new Request('http://h/', { method: 'HEAD' }));
    assert.equal(res.headers.get('content-length'), '3');
    assert.equal(await res.text(), '');
  });

  test('a throwing fetch handler gives a bare 500 and is reported', async () => {
    const seen: unknown[] = [];
    const res = await viaKeel(() => {
      throw new Error('secret detail');
    }, new Request('http://h/'), (e) => seen.push(e));
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await res.text(), '500 Internal Server Error\n', 'the one documented error body (docs/errors.md)');
    assert.equal(seen.length, 1);
  });

  test('a body that fails after the head is abandoned, not ended as if complete (#14 item 5)', async () => {
    const seen: unknown[] = [];
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(new TextEncoder().encode('part'));
        } else c.error(new Error('source broke'));
      },
    });
    const res = await viaKeel(() => new Response(body), new Request('http://h/'), (e) => seen.push(e));
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), 'the reader sees the cut, not a clean end');
    assert.equal(seen.length, 1);
  });

  test('streams with backpressure: the source is pulled only as the client reads', async () => {
    let produced = 0;
    const total = 1000;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (produced === total) return c.close();
          produced++;
          c.enqueue(new Uint8Array(1024));
        },
      },
      { highWaterMark: 1 },
    );
    const res = await viaKeel(() => new Response(source), new Request('http://h/'));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    // A few chunks may sit in the queues of the two streams; never the whole body.
    assert.ok(produced < 10, `produced ${produced} chunks after 2 reads`);
    let got = 2;
    while (!(await reader.read()).done) got++;
    assert.equal(got, total);
    assert.equal(produced, total);
  });

  test('a client that goes away cancels the source', async () => {
    let cancelled!: () => void;
    const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(16));
      },
      cancel() {
        cancelled();
      },
    });
    const res = await viaKeel(() => new Response(source), new Request('http://h/'));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await wasCancelled;
  });
});

describe('App as a fetch handler', () => {
  test('app.fetch and app.request agree', async () => {
    const app = new App();
    app.get('/hi/:n', (ctx) => ctx.text(`hi ${ctx.params.n} ${ctx.query.get('x')}`));
    assert.equal(await (await app.fetch(new Request('http://h/hi/a?x=1'))).text(), 'hi a 1');
    assert.equal(await (await app.request('/hi/b?x=2')).text(), 'hi b 2');
    assert.equal(await (await app.request(new URL('http://h/hi/c?x=3'))).text(), 'hi c 3');
  });

  test('an App served through toHandler(app.fetch) behaves the same', async () => {
    const app = new App({ onError: () => undefined });
    app.post('/echo', async (ctx) => ctx.json(await ctx.readJson(), 202));
    const res = await viaKeel(app.fetch, new Request('http://h/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }));
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { a: 1 });
    const res405 = await viaKeel(app.fetch, new Request('http://h/echo'));
    assert.equal(res405.status, 405);
    assert.equal(res405.headers.get('allow'), 'POST, OPTIONS');
  });

  test('ctx.stream streams an async iterable', async () => {
    const app = new App();
    app.get('/s', (ctx) =>
      ctx.stream(
        (async function* () {
          yield 'a';
          yield Buffer.from('b');
          yield 'c';
        })(),
        'text/plain',
      ),
    );
    const res = await app.request('/s');
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(res.headers.get('content-length'), null);
    assert.equal(await res.text(), 'abc');
  });
});

describe('toFetchRequest: hostile targets and Host fields', () => {
  const rows = [
    { name: 'path starting with // stays a path', input: { target: '//evil.test/x', host: 'good.test' }, want: 'http://good.test//evil.test/x' },
    { name: 'Host with userinfo is replaced by the local address', input: { target: '/a', host: 'user@evil.test' }, want: 'http://127.0.0.1:0/a' },
    { name: 'Host with a path is replaced', input: { target: '/a', host: 'evil.test/p' }, want: 'http://127.0.0.1:0/a' },
    { name: 'IPv6 literal with port', input: { target: '/a', host: '[::1]:8080' }, want: 'http://[::1]:8080/a' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const req = new MemoryRequest({ target: r.input.target, headers: [['host', r.input.host]] });
      assert.equal(toFetchRequest(req).url, r.want);
    });
  }

  test('TRACE cannot become a WHATWG Request: 501, handler not called', async () => {
    let called = false;
    const { MemoryResponse } = await import('../../src/app/inject.js');
    const res = new MemoryResponse();
    await toHandler(() => {
      called = true;
      return new Response('x');
    })(new MemoryRequest({ method: 'TRACE', headers: [['host', 'h']] }), res);
    assert.equal((await res.response).status, 501);
    assert.equal(called, false);
  });
});
