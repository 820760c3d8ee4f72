import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App, HttpError, type AppOptions } from '../../src/app/index.js';
import { LinearRouter } from '../../src/app/router/linear.js';

const quiet: AppOptions = { onError: () => undefined };

function usersApp(options: AppOptions = {}): App {
  const app = new App({ ...quiet, ...options });
  app.get('/', (ctx) => ctx.text('home'));
  app.get('/users', (ctx) => ctx.text('list'));
  app.post('/users', (ctx) => ctx.text('created', 201));
  app.get('/users/:id', (ctx) => ctx.text(`user ${ctx.params.id}`));
  app.delete('/users/:id', (ctx) => ctx.status(204));
  app.get('/files/*path', (ctx) => ctx.text(`file ${ctx.params.path}`));
  return app;
}

describe('routing through the App (404/405/OPTIONS/HEAD)', () => {
  const rows: Array<{ name: string; input: [string, string]; want: { status: number; body?: string; allow?: string } }> = [
    { name: 'static', input: ['GET', '/users'], want: { status: 200, body: 'list' } },
    { name: 'param decoded', input: ['GET', '/users/a%20b'], want: { status: 200, body: 'user a b' } },
    { name: 'wildcard decoded once', input: ['GET', '/files/a/%C3%A9%2520'], want: { status: 200, body: 'file a/é%20' } },
    { name: 'an encoded slash is refused, as by the file layer (normalizePath)', input: ['GET', '/files/a/b%2Fc'], want: { status: 400 } },
    { name: 'dot segments are removed before routing', input: ['GET', '/files/x/../a/./b'], want: { status: 200, body: 'file a/b' } },
    { name: 'POST', input: ['POST', '/users'], want: { status: 201, body: 'created' } },
    { name: 'handler that only sets a status', input: ['DELETE', '/users/3'], want: { status: 204, body: '' } },
    { name: '404', input: ['GET', '/missing'], want: { status: 404 } },
    { name: '405 with Allow (RFC 9110 §15.5.6)', input: ['PUT', '/users'], want: { status: 405, allow: 'GET, POST, HEAD, OPTIONS' } },
    { name: '405 on a param route', input: ['PATCH', '/users/1'], want: { status: 405, allow: 'GET, DELETE, HEAD, OPTIONS' } },
    { name: 'automatic OPTIONS (RFC 9110 §9.3.7)', input: ['OPTIONS', '/users/1'], want: { status: 204, body: '', allow: 'GET, DELETE, HEAD, OPTIONS' } },
    { name: 'OPTIONS on an unknown path is 404', input: ['OPTIONS', '/nope'], want: { status: 404 } },
    { name: 'automatic HEAD keeps headers, drops body', input: ['HEAD', '/users'], want: { status: 200, body: '' } },
  ];
  for (const router of ['radix', 'linear'] as const) {
    for (const r of rows) {
      test(`${router}: ${r.name}`, async () => {
        const app = usersApp(router === 'linear' ? { router: new LinearRouter() } : {});
        const res = await app.request(r.input[1], { method: r.input[0] });
        assert.equal(res.status, r.want.status);
        const body = await res.text();
        if (r.want.body !== undefined) assert.equal(body, r.want.body);
        if (r.want.allow !== undefined) assert.equal(res.headers.get('allow'), r.want.allow);
      });
    }
  }

  test('HEAD response has the GET Content-Length', async () => {
    const res = await usersApp().request('/users', { method: 'HEAD' });
    assert.equal(res.headers.get('content-length'), '4');
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  });

  test('an explicit OPTIONS route wins over the automatic answer', async () => {
    const app = usersApp();
    app.options('/users', (ctx) => ctx.header('allow', 'GET').text('custom'));
    const res = await app.request('/users', { method: 'OPTIONS' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'custom');
  });

  test('malformed percent-encoding in the path is 400 ERR_BAD_PATH', async () => {
    const res = await usersApp().request('/users/%E0%A4%A', {});
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_BAD_PATH');
  });

  test('OPTIONS * lists every method of the app (RFC 9110 §9.3.7)', async () => {
    const { MemoryRequest, MemoryResponse } = await import('../../src/app/inject.js');
    const res = new MemoryResponse();
    await usersApp().handler(new MemoryRequest({ method: 'OPTIONS', target: '*', headers: [['host', 'x']] }), res);
    const r = await res.response;
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('allow'), 'GET, POST, DELETE, HEAD, OPTIONS');
  });

  test('custom methods with on()', async () => {
    const app = new App(quiet).on(['PROPFIND', 'REPORT'], '/dav', (ctx) => ctx.text(ctx.req.method));
    const res = await app.fetch(new Request('http://x/dav', { method: 'PROPFIND' }));
    assert.equal(await res.text(), 'PROPFIND');
  });
});

describe('middleware lifecycle', () => {
  test('use() runs before routing, in order, around the handler', async () => {
    const log: string[] = [];
    const app = new App(quiet);
    app.use(async (_ctx, next) => {
      log.push('a>');
      await next();
      log.push('<a');
    });
    app.use(async (_ctx, next) => {
      log.push('b>');
      await next();
      log.push('<b');
    });
    app.get('/', (ctx) => {
      log.push('handler');
      ctx.text('ok');
    });
    const res = await app.request('/');
    assert.equal(await res.text(), 'ok');
    assert.deepEqual(log, ['a>', 'b>', 'handler', '<b', '<a']);
  });

  test('middleware sees 404 errors and can turn them into a response', async () => {
    const app = new App(quiet);
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) ctx.text('custom 404', 404);
        else throw err;
      }
    });
    const res = await app.request('/nothing');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'custom 404');
  });

  test('a prefixed use() runs only at or below its prefix', async () => {
    const app = new App(quiet);
    app.use('/admin', (ctx) => ctx.text('denied', 403));
    app.get('/admin/x', (ctx) => ctx.text('x'));
    app.get('/administrator', (ctx) => ctx.text('other'));
    assert.equal((await app.request('/admin/x')).status, 403);
    assert.equal((await app.request('/admin')).status, 403);
    assert.equal(await (await app.request('/administrator')).text(), 'other');
  });

  // One prefix rule for use() and route() (src/wire/mount-prefix.ts, issue #14 item 5).
  const prefixRows = [
    { name: 'trailing slash is the same prefix', input: { prefix: '/admin/', path: '/admin' }, want: 403 },
    { name: 'trailing slash, below it', input: { prefix: '/admin/', path: '/admin/x' }, want: 403 },
    { name: 'trailing slash, still segment-bounded', input: { prefix: '/admin/', path: '/administrator' }, want: 200 },
    { name: 'root prefix runs everywhere', input: { prefix: '/', path: '/administrator' }, want: 403 },
  ];
  for (const { name, input, want } of prefixRows) {
    test(`use(prefix): ${name}`, async () => {
      const app = new App(quiet);
      app.use(input.prefix, (ctx) => ctx.text('denied', 403));
      app.all('/*', (ctx) => ctx.text('ok'));
      assert.equal((await app.request(input.path)).status, want);
    });
  }

  test('route() with a trailing-slash prefix or the root mounts the same way', async () => {
    const sub = new App(quiet).get('/x', (ctx) => ctx.text(`sub ${ctx.path}`));
    const app = new App(quiet).route('/api/', sub).route('/', new App(quiet).get('/y', (ctx) => ctx.text(`root ${ctx.path}`)));
    assert.equal(await (await app.request('/api/x')).text(), 'sub /x');
    assert.equal(await (await app.request('/y')).text(), 'root /y');
    assert.throws(() => app.use('admin', () => undefined), /prefix must start with "\/"/);
  });

  test('several handlers on one route compose; state passes along', async () => {
    const app = new App<{ user?: string }>(quiet);
    app.get(
      '/me',
      async (ctx, next) => {
        ctx.state.user = 'ann';
        await next();
      },
      (ctx) => ctx.text(`hi ${ctx.state.user}`),
    );
    assert.equal(await (await app.request('/me')).text(), 'hi ann');
  });

  test('next() twice is reported as ERR_NEXT_CALLED_TWICE', async () => {
    let reported!: (e: unknown) => void;
    const error = new Promise<unknown>((resolve) => (reported = resolve));
    const app = new App({ onError: (e) => reported(e) });
    app.use(async (_ctx, next) => {
      await next();
      await next();
    });
    app.get('/', (ctx) => ctx.text('x'));
    // Nothing was written yet when the second next() rejected (issue #16): the error is the response.
    const res = await app.request('/');
    assert.equal(res.status, 500);
    assert.equal(((await error) as { code?: string }).code, 'ERR_NEXT_CALLED_TWICE');
  });
});

describe('error mapping', () => {
  const app = new App(quiet);
  app.get('/teapot', () => {
    throw new HttpError(418, 'short and stout', { code: 'ERR_TEAPOT' });
  });
  app.get('/crash', async () => {
    await Promise.resolve();
    throw new Error('db password is hunter2');
  });
  app.get('/protocol', () => {
    throw Object.assign(new Error('bad bytes: \x00GET'), { status: 413, code: 'ERR_BODY_TOO_LARGE' });
  });

  test('HttpError → JSON with its status, code and message', async () => {
    const res = await app.request('/teapot');
    assert.equal(res.status, 418);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { error: { status: 418, code: 'ERR_TEAPOT', message: 'short and stout' } });
  });

  test('HTML when Accept prefers it', async () => {
    const res = await app.request('/teapot', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const body = await res.text();
    assert.match(body, /<h1>418 /);
    assert.match(body, /short and stout/);
  });

  test('an unexpected error is a 500 without its message or stack', async () => {
    const res = await app.request('/crash', { headers: { accept: 'text/html' } });
    assert.equal(res.status, 500);
    const body = await res.text();
    assert.doesNotMatch(body, /hunter2/);
    assert.doesNotMatch(body, /at /);
  });

  test('a foreign error with a status keeps it, but not its message', async () => {
    const res = await app.request('/protocol');
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.message, 'Content Too Large');
    assert.equal(body.error.code, 'ERR_BODY_TOO_LARGE');
  });

  test('dev mode shows the message and the stack', async () => {
    const dev = new App({ ...quiet, dev: true });
    dev.get('/crash', () => {
      throw new Error('details here');
    });
    const body = (await (await dev.request('/crash')).json()) as { error: { message: string; stack: string } };
    assert.equal(body.error.message, 'details here');
    assert.match(body.error.stack, /details here\n\s+at /);
  });

  test('onError is told about every mapped error', async () => {
    const seen: number[] = [];
    const a = new App({ onError: (e) => seen.push((e as HttpError).status) });
    await a.request('/nope');
    assert.deepEqual(seen, [404]);
  });

  test('HttpError rejects non-error statuses', () => {
    assert.throws(() => new HttpError(200), RangeError);
  });
});

describe('mounting', () => {
  const api = new App(quiet);
  api.use(async (ctx, next) => {
    ctx.res.headers.set('x-api', '1');
    await next();
  });
  api.get('/', (ctx) => ctx.text(`api root ${ctx.path}`));
  api.get('/users/:id', (ctx) => ctx.text(`api user ${ctx.params.id} at ${ctx.path} (${ctx.req.path})`));
  const app = new App(quiet);
  app.get('/', (ctx) => ctx.text('main'));
  app.route('/api', api);

  const rows = [
    { name: 'sub route', input: '/api/users/7', want: { status: 200, body: 'api user 7 at /users/7 (/api/users/7)', api: '1' } },
    { name: 'sub root', input: '/api', want: { status: 200, body: 'api root /', api: '1' } },
    { name: 'sub root with slash', input: '/api/', want: { status: 200, body: 'api root /', api: '1' } },
    { name: 'sub 404 runs sub middleware', input: '/api/nope', want: { status: 404, api: '1' } },
    { name: 'main route', input: '/', want: { status: 200, body: 'main', api: null } },
    { name: 'prefix is segment-bounded', input: '/apix', want: { status: 404, api: null } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await app.request(r.input);
      assert.equal(res.status, r.want.status);
      if (r.want.body !== undefined) assert.equal(await res.text(), r.want.body);
      assert.equal(res.headers.get('x-api'), r.want.api);
    });
  }

  test('sub-app 405 keeps its Allow', async () => {
    const res = await app.request('/api/users/1', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
});

test('route param types are inferred from the path (compile-time)', async () => {
  const app = new App(quiet);
  app.get('/u/:id/f/*rest', (ctx) => {
    const id: string = ctx.params.id;
    const rest: string = ctx.params.rest;
    // @ts-expect-error: no such param
    void ctx.params.nope;
    ctx.text(`${id}|${rest}`);
  });
  app.get('/opt/:x?', (ctx) => {
    const x: string | undefined = ctx.params.x;
    ctx.text(x ?? 'none');
  });
  assert.equal(await (await app.request('/u/1/f/a/b')).text(), '1|a/b');
  assert.equal(await (await app.request('/opt')).text(), 'none');
});

test('app.handler is a plain Handler usable directly', async () => {
  const app = usersApp();
  const { MemoryRequest, MemoryResponse } = await import('../../src/app/inject.js');
  const res = new MemoryResponse();
  await app.handler(new MemoryRequest({ method: 'GET', target: '/users/9', headers: [['host', 'x']] }), res);
  const response = await res.response;
  assert.equal(await response.text(), 'user 9');
});

// Issue #18 item 1: a synchronous middleware (returning next()) and a synchronous handler
// answer in the same tick: app.handler returns no promise and the response has ended.
test('a synchronous chain with middleware answers synchronously', async () => {
  const app = new App(quiet);
  app.use((ctx, next) => {
    ctx.header('server', 'keel');
    return next();
  });
  app.get('/p', (ctx) => ctx.text('sync'));
  const { MemoryRequest, MemoryResponse } = await import('../../src/app/inject.js');
  const res = new MemoryResponse();
  const r = app.handler(new MemoryRequest({ method: 'GET', target: '/p', headers: [['host', 'x']] }), res);
  assert.equal(r, undefined, 'no promise for a synchronous chain');
  assert.equal(res.finished, true, 'the response ended before handler returned');
  const response = await res.response;
  assert.equal(response.headers.get('server'), 'keel');
  assert.equal(await response.text(), 'sync');
});
