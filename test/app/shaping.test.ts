/**
 * Response shaping (issue #16 item 1): middleware changes the status, headers and body
 * an inner handler produced, after `await next()`, before the head goes out; a change
 * after the head went out throws instead of vanishing. In memory and over real sockets.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { App, type RunningServer } from '../../src/app/index.js';
import { HeadersSentError } from '../../src/app/context.js';
import { exchange } from '../helpers/socket.js';

const FIXED_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';

/** Koa's canonical example: a header set after the handler ran. */
function responseTime(clock: () => number) {
  return async (ctx: { header(n: string, v: string): unknown }, next: () => Promise<void>): Promise<void> => {
    const t0 = clock();
    await next();
    ctx.header('X-Response-Time', `${clock() - t0}ms`);
  };
}

function shapedApp(onError: (e: unknown) => void = () => undefined): App {
  let now = 0;
  const clock = (): number => (now += 5);
  const app = new App({ onError });
  app.use(responseTime(clock));
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/upper' && typeof ctx.body === 'string') ctx.body = ctx.body.toUpperCase();
    if (ctx.path === '/teapot') ctx.status(418);
    if (ctx.path === '/wrap' && ctx.body != null && typeof ctx.body === 'object' && !(ctx.body instanceof Uint8Array)) {
      const inner = ctx.body;
      ctx.body = (async function* () {
        for await (const c of inner) yield `[${String(c)}]`;
      })();
    }
  });
  app.get('/', (ctx) => ctx.text('hello'));
  app.get('/upper', (ctx) => ctx.text('shout'));
  app.get('/teapot', (ctx) => ctx.text('short and stout'));
  app.get('/wrap', (ctx) =>
    ctx.stream(
      (async function* () {
        yield 'a';
        yield 'b';
      })(),
      'text/plain',
    ),
  );
  app.get('/raw', (ctx) => {
    ctx.res.end('raw');
  });
  app.get('/empty', () => undefined);
  return app;
}

describe('response shaping after next()', () => {
  const rows: Array<{ name: string; input: string; want: { status: number; body: string; headers: Record<string, string | null> } }> = [
    { name: 'a header set after next() reaches the client (X-Response-Time)', input: '/', want: { status: 200, body: 'hello', headers: { 'x-response-time': '5ms' } } },
    { name: 'the body is replaced after next()', input: '/upper', want: { status: 200, body: 'SHOUT', headers: { 'content-length': '5' } } },
    { name: 'the status is changed after next()', input: '/teapot', want: { status: 418, body: 'short and stout', headers: {} } },
    { name: 'a streamed body is wrapped after next()', input: '/wrap', want: { status: 200, body: '[a][b]', headers: { 'content-type': 'text/plain' } } },
    { name: 'a handler that wrote nothing: 200, empty, still shaped', input: '/empty', want: { status: 200, body: '', headers: { 'x-response-time': '5ms' } } },
    { name: 'the automatic OPTIONS 204 is shaped too', input: 'OPTIONS /', want: { status: 204, body: '', headers: { allow: 'GET, HEAD, OPTIONS', 'x-response-time': '5ms' } } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const [method, path] = r.input.includes(' ') ? r.input.split(' ') : ['GET', r.input];
      const res = await shapedApp().request(path!, { method });
      assert.equal(res.status, r.want.status);
      assert.equal(await res.text(), r.want.body);
      for (const [k, v] of Object.entries(r.want.headers)) assert.equal(res.headers.get(k), v, k);
    });
  }

  test('a header set after a raw write throws HeadersSentError (reported, never silently dropped)', async () => {
    let reported!: (e: unknown) => void;
    const error = new Promise<unknown>((resolve) => (reported = resolve));
    const res = await shapedApp((e) => reported(e)).request('/raw');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'raw');
    assert.equal(res.headers.get('x-response-time'), null);
    const err = await error;
    assert.ok(err instanceof HeadersSentError);
    assert.equal(err.code, 'ERR_HEADERS_SENT');
  });

  test('ctx.body, ctx.status() and setCookie() throw once the head is out', async () => {
    const seen: string[] = [];
    const app = new App();
    app.get('/', (ctx) => {
      ctx.res.write('x');
      for (const f of [() => (ctx.body = 'y'), () => ctx.status(201), () => ctx.setCookie('a', 'b'), () => ctx.text('z')]) {
        try {
          f();
        } catch (err) {
          seen.push((err as { code?: string }).code ?? 'none');
        }
      }
      ctx.res.end();
    });
    const res = await app.request('/');
    assert.equal(await res.text(), 'x');
    assert.deepEqual(seen, ['ERR_HEADERS_SENT', 'ERR_HEADERS_SENT', 'ERR_HEADERS_SENT', 'ERR_HEADERS_SENT']);
  });
});

describe('response shaping over a real socket', () => {
  let server: RunningServer;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  before(async () => {
    const app = shapedApp();
    // A streamed body must go out chunk by chunk, not be buffered whole: the second
    // chunk waits for the client to have seen the first.
    app.get('/slow', (ctx) =>
      ctx.stream(
        (async function* () {
          yield 'first;';
          await gate;
          yield 'second';
        })(),
        'text/plain',
      ),
    );
    server = await app.listen(0, '127.0.0.1', { serverOptions: { clock: () => FIXED_MS } });
  });
  after(() => server.close());

  test('X-Response-Time and a replaced body: exact bytes', async () => {
    const { text } = await exchange(server.port, 'GET /upper HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(
      text,
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nX-Response-Time: 5ms\r\n' + DATE + 'Content-Length: 5\r\nConnection: close\r\n\r\nSHOUT',
    );
  });

  test('a streamed body is not buffered whole: the first chunk arrives before the second is produced', async () => {
    const sock = net.connect(server.port, '127.0.0.1');
    try {
      let got = '';
      await new Promise<void>((resolve, reject) => {
        sock.on('error', reject);
        sock.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('first;')) resolve();
        });
        sock.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      assert.match(got, /X-Response-Time: 5ms\r\n/);
      assert.match(got, /Transfer-Encoding: chunked\r\n/);
      assert.doesNotMatch(got, /second/);
      const ended = new Promise<void>((resolve) => sock.on('end', resolve));
      release();
      await ended;
      assert.match(got, /6\r\nsecond\r\n0\r\n\r\n$/);
    } finally {
      sock.destroy();
    }
  });
});
