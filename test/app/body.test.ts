import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App, parseMediaType, type AppOptions } from '../../src/app/index.js';
import { MemoryRequest } from '../../src/app/inject.js';
import { readJson, readForm, readRaw } from '../../src/app/body.js';

const quiet: AppOptions = { onError: () => undefined };

/** An app whose routes echo what each parser returns. */
function parserApp(options: AppOptions = {}): App {
  const app = new App({ ...quiet, ...options });
  app.post('/json', async (ctx) => ctx.json({ got: await ctx.readJson() }));
  app.post('/form', async (ctx) => ctx.json({ got: await ctx.readForm() }));
  app.post('/raw', async (ctx) => ctx.json({ size: (await ctx.readRaw()).length }));
  app.post('/octets', async (ctx) => ctx.json({ size: (await ctx.readRaw({ types: ['application/octet-stream'] })).length }));
  return app;
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** A body delivered in several chunks with no Content-Length (as chunked would be). */
function chunked(parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
}

describe('body parsers: statuses', () => {
  const small: AppOptions = { json: { maxJsonBytes: 16 }, form: { maxFormBytes: 16, maxFormFields: 3 }, raw: { maxRawBytes: 8 } };
  const rows: Array<{ name: string; input: { path: string; type?: string; body: string | ReadableStream<Uint8Array> }; want: { status: number; code?: string; json?: unknown } }> = [
    { name: 'json ok', input: { path: '/json', type: 'application/json', body: '{"a":[1,2]}' }, want: { status: 200, json: { got: { a: [1, 2] } } } },
    { name: 'json +json suffix (RFC 6839)', input: { path: '/json', type: 'application/merge-patch+json', body: '{}' }, want: { status: 200, json: { got: {} } } },
    { name: 'json with utf-8 charset', input: { path: '/json', type: 'application/json; charset=UTF-8', body: '"é"' }, want: { status: 200, json: { got: 'é' } } },
    { name: 'json wrong type → 415', input: { path: '/json', type: 'text/plain', body: '{}' }, want: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'json no type → 415', input: { path: '/json', body: '{}' }, want: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'json latin1 charset → 415', input: { path: '/json', type: 'application/json; charset=latin1', body: '{}' }, want: { status: 415 } },
    { name: 'json malformed → 400', input: { path: '/json', type: 'application/json', body: '{"a":' }, want: { status: 400, code: 'ERR_INVALID_JSON' } },
    { name: 'json empty → 400', input: { path: '/json', type: 'application/json', body: '' }, want: { status: 400, code: 'ERR_INVALID_JSON' } },
    { name: 'json over limit by Content-Length → 413', input: { path: '/json', type: 'application/json', body: '{"a":"0123456789abcdef"}' }, want: { status: 413, code: 'ERR_BODY_TOO_LARGE' } },
    { name: 'json over limit while streaming → 413', input: { path: '/json', type: 'application/json', body: chunked(['{"a":"01', '23456789', 'abcdef"}']) }, want: { status: 413, code: 'ERR_BODY_TOO_LARGE' } },
    { name: 'json at the limit, streamed', input: { path: '/json', type: 'application/json', body: chunked(['{"a":"0', '1234567"}']) }, want: { status: 200, json: { got: { a: '01234567' } } } },
    { name: 'form ok, repeats become arrays', input: { path: '/form', type: 'application/x-www-form-urlencoded', body: 'a=1&b=x+y&a=2' }, want: { status: 200, json: { got: { a: ['1', '2'], b: 'x y' } } } },
    { name: 'form percent-decoding', input: { path: '/form', type: 'application/x-www-form-urlencoded', body: 'n=%C3%A9%26' }, want: { status: 200, json: { got: { n: 'é&' } } } },
    { name: 'form too many fields → 413', input: { path: '/form', type: 'application/x-www-form-urlencoded', body: 'a&b&c&d' }, want: { status: 413, code: 'ERR_TOO_MANY_FIELDS' } },
    { name: 'form too large → 413', input: { path: '/form', type: 'application/x-www-form-urlencoded', body: 'a=01234567890123456' }, want: { status: 413, code: 'ERR_BODY_TOO_LARGE' } },
    { name: 'form wrong type → 415', input: { path: '/form', type: 'application/json', body: 'a=1' }, want: { status: 415 } },
    { name: 'raw any type', input: { path: '/raw', type: 'image/png', body: '12345678' }, want: { status: 200, json: { size: 8 } } },
    { name: 'raw too large → 413', input: { path: '/raw', type: 'image/png', body: '123456789' }, want: { status: 413, code: 'ERR_BODY_TOO_LARGE' } },
    { name: 'raw restricted types → 415', input: { path: '/octets', type: 'image/png', body: 'x' }, want: { status: 415 } },
    { name: 'raw restricted types ok', input: { path: '/octets', type: 'application/octet-stream', body: 'xy' }, want: { status: 200, json: { size: 2 } } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const headers: Record<string, string> = {};
      if (r.input.type !== undefined) headers['content-type'] = r.input.type;
      const init: RequestInit & { duplex?: string } = { method: 'POST', headers, body: r.input.body };
      if (typeof r.input.body !== 'string') init.duplex = 'half';
      const res = await parserApp(small).request(r.input.path, init);
      assert.equal(res.status, r.want.status);
      if (r.want.code !== undefined) assert.equal(await errorCode(res), r.want.code);
      if (r.want.json !== undefined) assert.deepEqual(await res.json(), r.want.json);
    });
  }

  test('the 400 for bad JSON does not echo the body', async () => {
    const res = await parserApp().request('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret-token-xyz' });
    assert.doesNotMatch(await res.text(), /secret-token-xyz/);
  });

  test('413 is decided from Content-Length before reading a byte', async () => {
    let pulled = false;
    const req = new MemoryRequest({
      method: 'POST',
      headers: [['content-type', 'application/json'], ['content-length', '100']],
      body: (async function* () {
        pulled = true;
        yield Buffer.from('{}');
      })(),
    });
    await assert.rejects(readJson(req, { maxJsonBytes: 10 }), { status: 413 });
    assert.equal(pulled, false);
  });

  test('form fields use a null prototype (no __proto__ pollution)', async () => {
    const req = new MemoryRequest({ method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded']], body: '__proto__=x&constructor=y' });
    const f = await readForm(req);
    assert.equal(Object.getPrototypeOf(f), null);
    assert.equal(f.__proto__, 'x');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('readRaw returns the exact bytes', async () => {
    const bytes = Buffer.from([0, 255, 13, 10, 1]);
    const req = new MemoryRequest({ method: 'POST', body: bytes });
    assert.deepEqual(await readRaw(req), bytes);
  });
});

describe('parseMediaType', () => {
  const rows = [
    { name: 'plain', input: 'text/html', want: { type: 'text/html', params: {} } },
    { name: 'case and params', input: 'Multipart/Form-Data; Boundary="a b;c"; x=1', want: { type: 'multipart/form-data', params: { boundary: 'a b;c', x: '1' } } },
    { name: 'escaped quote', input: 'a/b; n="x\\"y"', want: { type: 'a/b', params: { n: 'x"y' } } },
    { name: 'missing subtype', input: 'text', want: undefined },
    { name: 'bad token', input: 'te xt/html', want: undefined },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const got = parseMediaType(r.input);
      assert.deepEqual(got === undefined ? undefined : { type: got.type, params: { ...got.params } }, r.want);
    });
  }
});
