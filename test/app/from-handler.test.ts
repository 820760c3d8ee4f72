/**
 * fromHandler() (issue #16 items 1 and 7): the static handler mounted in an App at a
 * prefix, with its full behaviour (ranges, conditionals, HEAD, streaming) and shaped by
 * the App's middleware; misses fall through to the App's routes. In memory and over a
 * real socket; backpressure of the wrapped writer.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { App, type RunningServer } from '../../src/app/index.js';
import { compress } from '../../src/app/compress.js';
import { fromHandler, HANDLER_BUFFER_BYTES } from '../../src/app/from-handler.js';
import { staticHandler } from '../../src/handlers/static.js';
import { exchange } from '../helpers/socket.js';
import { parseResponse } from '../helpers/http.js';
import { tempDir } from '../helpers/tmp.js';

const TEXT = 'static text, shaped by the App. '.repeat(160); // 5120 bytes
const BIG = Buffer.alloc(1024 * 1024, 'abcdefgh'); // streamed (over smallFileBytes)

let dir: string;
before(() => {
  dir = tempDir('from-handler');
  writeFileSync(join(dir, 'a.txt'), TEXT);
  writeFileSync(join(dir, 'big.bin'), BIG);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function staticApp(): App {
  const app = new App({ onError: () => undefined });
  app.use(async (ctx, next) => {
    await next();
    ctx.header('X-Shaped', 'yes');
  });
  app.use(compress());
  app.use(fromHandler((next) => staticHandler({ root: dir, prefix: '/assets', onNotFound: next })));
  app.get('/api', (ctx) => ctx.json({ ok: true }));
  return app;
}

describe('static files in an App (fromHandler + staticHandler)', () => {
  type Want = { status: number; body?: string; fields: Record<string, string | null> };
  const rows: Array<{ name: string; input: { method?: string; path: string; headers?: Record<string, string> }; want: Want }> = [
    { name: 'a file under the prefix, shaped after next()', input: { path: '/assets/a.txt' }, want: { status: 200, body: TEXT, fields: { 'x-shaped': 'yes', 'content-type': 'text/plain; charset=utf-8' } } },
    { name: 'a miss falls through to the App (its 404)', input: { path: '/assets/nope.txt' }, want: { status: 404, fields: { 'x-shaped': null, 'content-type': 'application/json' } } },
    { name: 'outside the prefix: the App routes', input: { path: '/api' }, want: { status: 200, body: '{"ok":true}', fields: { 'x-shaped': 'yes' } } },
    { name: 'a range: 206, not compressed', input: { path: '/assets/a.txt', headers: { range: 'bytes=0-5', 'accept-encoding': 'br' } }, want: { status: 206, body: 'static', fields: { 'content-encoding': null, 'content-range': `bytes 0-5/${TEXT.length}` } } },
    { name: 'HEAD: the length of the file, no body', input: { method: 'HEAD', path: '/assets/a.txt' }, want: { status: 200, body: '', fields: { 'content-length': String(TEXT.length) } } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await staticApp().request(r.input.path, { method: r.input.method ?? 'GET', headers: r.input.headers ?? {} });
      assert.equal(res.status, r.want.status);
      const body = await res.text();
      if (r.want.body !== undefined) assert.equal(body, r.want.body);
      for (const [k, v] of Object.entries(r.want.fields)) assert.equal(res.headers.get(k), v, k);
    });
  }

  test('compress() compresses a static file and weakens its ETag; a conditional request gets 304', async () => {
    const app = staticApp();
    const res = await app.request('/assets/a.txt', { headers: { 'accept-encoding': 'br' } });
    assert.equal(res.headers.get('content-encoding'), 'br');
    assert.equal(zlib.brotliDecompressSync(Buffer.from(await res.arrayBuffer())).toString(), TEXT);
    const etag = res.headers.get('etag')!;
    assert.match(etag, /^W\/"/);
    const plain = await app.request('/assets/a.txt');
    const strong = plain.headers.get('etag')!;
    await plain.arrayBuffer();
    const again = await app.request('/assets/a.txt', { headers: { 'if-none-match': strong } });
    assert.equal(again.status, 304);
  });
});

describe('static files in an App over a real socket', () => {
  let server: RunningServer;
  before(async () => {
    server = await staticApp().listen(0, '127.0.0.1');
  });
  after(() => server.close());

  test('a large file streams through the App intact, shaped', async () => {
    const { bytes: raw } = await exchange(server.port, 'GET /assets/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const res = parseResponse(raw);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-shaped'], 'yes');
    assert.ok(res.isComplete);
    assert.ok(Buffer.compare(res.body, BIG) === 0);
  });
});

describe('fromHandler() backpressure', () => {
  test('write() returns false once HANDLER_BUFFER_BYTES are queued, and drain() waits for the pump', async () => {
    const CHUNK = 16 * 1024;
    const TOTAL_CHUNKS = 64;
    let trueWrites = -1;
    const app = new App();
    app.use(
      fromHandler(() => async (_req, res) => {
        res.headers.set('content-type', 'application/octet-stream');
        for (let i = 0; i < TOTAL_CHUNKS; i++) {
          if (!res.write(Buffer.alloc(CHUNK, i))) {
            if (trueWrites < 0) trueWrites = i;
            await res.drain();
          }
        }
        res.end();
      }),
    );
    const res = await app.request('/');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, CHUNK * TOTAL_CHUNKS);
    assert.equal(body[CHUNK * TOTAL_CHUNKS - 1], TOTAL_CHUNKS - 1);
    // The 4th 16 KiB chunk fills the 64 KiB buffer: nothing more is queued before the pump reads.
    assert.equal(trueWrites, HANDLER_BUFFER_BYTES / CHUNK - 1);
  });

  test('a Handler failing mid-stream cuts the response (error mapping destroys it)', async () => {
    const errors: unknown[] = [];
    const app = new App({ onError: (e) => errors.push(e) });
    app.use(
      fromHandler(() => async (_req, res) => {
        res.write('partial');
        await new Promise<void>((resolve) => setImmediate(resolve));
        throw new Error('disk gone');
      }),
    );
    const res = await app.request('/');
    await assert.rejects(res.arrayBuffer());
    assert.equal((errors[0] as Error).message, 'disk gone');
  });
});
