/**
 * The App on a real keel Server over 127.0.0.1 sockets: exact response bytes
 * for the routing statuses, bodies and uploads through fetch(), and serveFetch.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { App, html, serveFetch, type RunningServer } from '../../src/app/index.js';
import { exchange } from '../helpers/socket.js';

const FIXED_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';

describe('App on a keel Server', () => {
  let server: RunningServer;
  let base: string;
  before(async () => {
    const app = new App({ onError: () => undefined, json: { maxJsonBytes: 64 } });
    app.get('/', (ctx) => ctx.text('Hello, World!'));
    app.get('/users/:id', (ctx) => ctx.html(html`<b>${ctx.params.id}</b>`));
    app.delete('/users/:id', (ctx) => ctx.status(204));
    app.post('/json', async (ctx) => ctx.json(await ctx.readJson()));
    app.post('/upload', async (ctx) => {
      const form = await ctx.readMultipart({ storage: 'disk' });
      ctx.json({ note: form.fields.note, sizes: form.files.map((f) => f.size) });
    });
    app.get('/big', (ctx) =>
      ctx.stream(
        (async function* () {
          for (let i = 0; i < 256; i++) yield Buffer.alloc(16 * 1024, i);
        })(),
      ),
    );
    server = await app.listen(0, '127.0.0.1', { serverOptions: { clock: () => FIXED_MS } });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  test('pipelined GET, HEAD, 405, OPTIONS, 404: exact bytes', async () => {
    const { text: got } = await exchange(
      server.port,
      'GET /users/%3Ci%3E HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n' +
        'PUT /users/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' +
        'OPTIONS /users/1 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'DELETE /users/1 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /nope HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n',
    );
    const notFound = '<!doctype html><html><head><meta charset="utf-8"><title>404 Not Found</title></head><body><h1>404 Not Found</h1><p>Not Found</p></body></html>\n';
    const err405 = '{"error":{"status":405,"code":"ERR_METHOD_NOT_ALLOWED","message":"Method Not Allowed"}}';
    assert.equal(
      got,
      'HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n' + DATE + 'Content-Length: 16\r\n\r\n<b>&lt;i&gt;</b>' +
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n' + DATE + 'Content-Length: 13\r\n\r\n' +
        'HTTP/1.1 405 Method Not Allowed\r\nallow: GET, DELETE, HEAD, OPTIONS\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\ncontent-type: application/json\r\n' +
        DATE + `Content-Length: ${err405.length}\r\n\r\n${err405}` +
        'HTTP/1.1 204 No Content\r\nallow: GET, DELETE, HEAD, OPTIONS\r\n' + DATE + '\r\n' +
        'HTTP/1.1 204 No Content\r\n' + DATE + '\r\n' +
        'HTTP/1.1 404 Not Found\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\ncontent-type: text/html; charset=utf-8\r\n' +
        DATE + `Content-Length: ${notFound.length}\r\nConnection: close\r\n\r\n${notFound}`,
    );
  });

  test('OPTIONS *, a chunked JSON body, a 415 with its body unread, then the next request: exact bytes', async () => {
    const err415 = '{"error":{"status":415,"code":"ERR_UNSUPPORTED_MEDIA_TYPE","message":"Content-Type must be application/json"}}';
    const { text: got } = await exchange(
      server.port,
      'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n' +
        'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello' +
        'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.equal(
      got,
      'HTTP/1.1 204 No Content\r\nallow: GET, POST, DELETE, HEAD, OPTIONS\r\n' + DATE + '\r\n' +
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' + DATE + 'Content-Length: 7\r\n\r\n{"a":1}' +
        'HTTP/1.1 415 Unsupported Media Type\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\ncontent-type: application/json\r\n' +
        DATE + `Content-Length: ${err415.length}\r\n\r\n${err415}` +
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n' + DATE + 'Content-Length: 13\r\nConnection: close\r\n\r\nHello, World!',
    );
  });

  test('JSON body within and over the limit', async () => {
    const ok = await fetch(`${base}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await ok.json(), { a: 1 });
    const big = await fetch(`${base}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(100) }) });
    assert.equal(big.status, 413);
    await big.arrayBuffer();
  });

  test('multipart upload to disk over a socket', async () => {
    const fd = new FormData();
    fd.append('note', 'hi');
    fd.append('f', new Blob([Buffer.alloc(200_000, 7)]), 'a.bin');
    const res = await fetch(`${base}/upload`, { method: 'POST', body: fd });
    assert.deepEqual(await res.json(), { note: 'hi', sizes: [200_000] });
  });

  test('a 4 MiB streamed response arrives whole (backpressure through drain)', async () => {
    const res = await fetch(`${base}/big`);
    const buf = Buffer.from(await res.arrayBuffer());
    assert.equal(buf.length, 256 * 16 * 1024);
    assert.equal(buf[16 * 1024 * 255], 255);
  });
});

test('serveFetch serves a WHATWG fetch handler on a socket', async () => {
  const server = await serveFetch(async (req) => {
    const url = new URL(req.url);
    if (req.method === 'POST') return new Response(`got ${await req.text()}`, { status: 201 });
    return Response.json({ path: url.pathname, q: url.searchParams.get('q') }, { headers: { 'x-served-by': 'fetch' } });
  });
  try {
    const a = await fetch(`http://127.0.0.1:${server.port}/p?q=1`);
    assert.equal(a.headers.get('x-served-by'), 'fetch');
    assert.deepEqual(await a.json(), { path: '/p', q: '1' });
    const b = await fetch(`http://127.0.0.1:${server.port}/`, { method: 'POST', body: 'data' });
    assert.equal(b.status, 201);
    assert.equal(await b.text(), 'got data');
  } finally {
    await server.close();
  }
});
