import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App, type AppOptions } from '../../src/app/index.js';

const quiet: AppOptions = { onError: () => undefined };

describe('Context response helpers', () => {
  const app = new App(quiet);
  app.get('/text', (ctx) => ctx.text('t', 202));
  app.get('/json', (ctx) => ctx.json({ a: [1, 'é'] }));
  app.get('/json-undefined', (ctx) => ctx.json(undefined));
  app.get('/send', (ctx) => ctx.send(Buffer.from([1, 2, 3]), 'image/x-test'));
  app.get('/chain', (ctx) => ctx.status(201).header('x-a', 'b').header('content-type', 'text/csv').text('a,b'));
  app.get('/redirect', (ctx) => ctx.redirect('/there?x=1'));
  app.post('/see-other', (ctx) => ctx.redirect('/done', 303));
  app.get('/bad-redirect', (ctx) => ctx.redirect('/x\r\nSet-Cookie: a=b'));
  app.get('/bad-status', (ctx) => ctx.redirect('/x', 200));
  app.get('/twice', (ctx) => {
    ctx.text('first');
    ctx.text('second');
  });

  const rows: Array<{ name: string; input: [string, string]; want: { status: number; type?: string; body?: string; headers?: Record<string, string> } }> = [
    { name: 'text', input: ['GET', '/text'], want: { status: 202, type: 'text/plain; charset=utf-8', body: 't' } },
    { name: 'json', input: ['GET', '/json'], want: { status: 200, type: 'application/json', body: '{"a":[1,"é"]}' } },
    { name: 'json undefined is null', input: ['GET', '/json-undefined'], want: { status: 200, body: 'null' } },
    { name: 'send bytes', input: ['GET', '/send'], want: { status: 200, type: 'image/x-test', body: '\x01\x02\x03' } },
    { name: 'status/header chain; explicit type kept', input: ['GET', '/chain'], want: { status: 201, type: 'text/csv', body: 'a,b', headers: { 'x-a': 'b' } } },
    { name: 'redirect 302', input: ['GET', '/redirect'], want: { status: 302, headers: { location: '/there?x=1' } } },
    { name: 'redirect 303 after POST', input: ['POST', '/see-other'], want: { status: 303, headers: { location: '/done' } } },
    { name: 'redirect with CR LF is refused (500, no header injection)', input: ['GET', '/bad-redirect'], want: { status: 500 } },
    { name: 'redirect with a non-redirect status is refused', input: ['GET', '/bad-status'], want: { status: 500 } },
    // Nothing is written until the chain returns (issue #16), so a second answer is a 500, not a lost write.
    { name: 'second response from one handler is an error (500)', input: ['GET', '/twice'], want: { status: 500 } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await app.request(r.input[1], { method: r.input[0], redirect: 'manual' });
      assert.equal(res.status, r.want.status);
      if (r.want.type !== undefined) assert.equal(res.headers.get('content-type'), r.want.type);
      if (r.want.body !== undefined) assert.equal(Buffer.from(await res.arrayBuffer()).toString('latin1'), Buffer.from(r.want.body).toString('latin1'));
      for (const [k, v] of Object.entries(r.want.headers ?? {})) assert.equal(res.headers.get(k), v);
      assert.equal(res.headers.get('set-cookie'), null);
    });
  }
});

describe('Context request helpers', () => {
  test('query is parsed lazily with URLSearchParams semantics', async () => {
    const app = new App();
    app.get('/q', (ctx) => ctx.json({ a: ctx.query.getAll('a'), b: ctx.query.get('b'), none: ctx.query.get('none') }));
    assert.deepEqual(await (await app.request('/q?a=1&a=2&b=x+y%21')).json(), { a: ['1', '2'], b: 'x y!', none: null });
  });

  test('headers: lower-case names, repeats joined', async () => {
    const app = new App();
    app.get('/h', (ctx) => ctx.json({ x: ctx.headers['x-multi'], host: ctx.headers.host, viaReq: ctx.req.header('X-MULTI') }));
    const h = new Headers();
    h.append('X-Multi', 'a');
    h.append('X-Multi', 'b');
    assert.deepEqual(await (await app.request('/h', { headers: h })).json(), { x: 'a, b', host: 'localhost', viaReq: 'a, b' });
  });

  test('state is per request', async () => {
    const app = new App<{ n?: number }>();
    app.use((ctx, next) => {
      ctx.state.n = (ctx.state.n ?? 0) + 1;
      return next();
    });
    app.get('/', (ctx) => ctx.json(ctx.state.n));
    assert.equal(await (await app.request('/')).text(), '1');
    assert.equal(await (await app.request('/')).text(), '1');
  });
});

test('ctx.stream accepts a WHATWG ReadableStream', async () => {
  const app = new App();
  app.get('/rs', (ctx) =>
    ctx.stream(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('x'));
          c.enqueue(new TextEncoder().encode('y'));
          c.close();
        },
      }),
      'text/plain',
    ),
  );
  assert.equal(await (await app.request('/rs')).text(), 'xy');
});
