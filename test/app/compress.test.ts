/**
 * compress() (issue #16 item 2): which responses are compressed and how, in memory
 * through app.request() and over a real socket (streaming with flush).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { App, type RunningServer } from '../../src/app/index.js';
import { compress, DEFAULT_COMPRESS_THRESHOLD_BYTES } from '../../src/app/compress.js';
import { CompressionLimiter } from '../../src/semantics/compression.js';

const BIG = 'keel compresses text. '.repeat(200); // 4400 bytes
const SMALL = 'x'.repeat(DEFAULT_COMPRESS_THRESHOLD_BYTES - 1);

function decode(coding: string | null, bytes: Buffer): string {
  if (coding === 'br') return zlib.brotliDecompressSync(bytes).toString();
  if (coding === 'gzip') return zlib.gunzipSync(bytes).toString();
  return bytes.toString();
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

function compressApp(limiter = new CompressionLimiter()): App {
  const app = new App({ onError: () => undefined });
  app.use(compress({ compressionLimiter: limiter }));
  app.get('/big', (ctx) => ctx.text(BIG));
  app.get('/small', (ctx) => ctx.text(SMALL));
  app.get('/png', (ctx) => ctx.send(Buffer.from(BIG), 'image/png'));
  app.get('/encoded', (ctx) => ctx.header('Content-Encoding', 'gzip').send(zlib.gzipSync(BIG), 'text/plain'));
  app.get('/no-transform', (ctx) => ctx.header('Cache-Control', 'public, no-transform').text(BIG));
  app.get('/range', (ctx) => ctx.header('Content-Range', 'bytes 0-4399/9000').text(BIG, 206));
  app.get('/events', (ctx) => ctx.stream(chunks(BIG), 'text/event-stream'));
  app.get('/etag', (ctx) => ctx.header('ETag', '"v1"').text(BIG));
  app.get('/weak', (ctx) => ctx.header('ETag', 'W/"v1"').text(BIG));
  app.get('/vary', (ctx) => ctx.header('Vary', 'Cookie').text(BIG));
  app.get('/stream', (ctx) => ctx.stream(chunks(BIG, BIG, 'end'), 'text/plain'));
  app.get('/raw', (ctx) => {
    ctx.res.headers.set('content-type', 'text/plain');
    ctx.res.end(BIG);
  });
  return app;
}

describe('compress() in memory', () => {
  type Want = { encoding: string | null; vary: string | null; etag?: string; body: string; status?: number };
  const rows: Array<{ name: string; input: { path: string; ae?: string }; want: Want }> = [
    { name: 'br preferred on a tie', input: { path: '/big', ae: 'gzip, deflate, br' }, want: { encoding: 'br', vary: 'Accept-Encoding', body: BIG } },
    { name: 'gzip when the client prefers it', input: { path: '/big', ae: 'br;q=0.5, gzip' }, want: { encoding: 'gzip', vary: 'Accept-Encoding', body: BIG } },
    { name: 'identity without Accept-Encoding, still Vary', input: { path: '/big' }, want: { encoding: null, vary: 'Accept-Encoding', body: BIG } },
    { name: 'identity when only unknown codings are accepted', input: { path: '/big', ae: 'zstd, deflate' }, want: { encoding: null, vary: 'Accept-Encoding', body: BIG } },
    { name: 'under the threshold: identity', input: { path: '/small', ae: 'br' }, want: { encoding: null, vary: 'Accept-Encoding', body: SMALL } },
    { name: 'non-compressible type: untouched, no Vary', input: { path: '/png', ae: 'br' }, want: { encoding: null, vary: null, body: BIG } },
    { name: 'already encoded: untouched', input: { path: '/encoded', ae: 'br, gzip' }, want: { encoding: 'gzip', vary: null, body: BIG } },
    { name: 'Cache-Control: no-transform is respected', input: { path: '/no-transform', ae: 'br' }, want: { encoding: null, vary: null, body: BIG } },
    { name: 'a 206 range is not compressed', input: { path: '/range', ae: 'br' }, want: { encoding: null, vary: null, body: BIG, status: 206 } },
    { name: 'an event stream is not compressed', input: { path: '/events', ae: 'br' }, want: { encoding: null, vary: null, body: BIG } },
    { name: 'a strong ETag becomes weak', input: { path: '/etag', ae: 'br' }, want: { encoding: 'br', vary: 'Accept-Encoding', etag: 'W/"v1"', body: BIG } },
    { name: 'a weak ETag stays as it is', input: { path: '/weak', ae: 'br' }, want: { encoding: 'br', vary: 'Accept-Encoding', etag: 'W/"v1"', body: BIG } },
    { name: 'an existing Vary is extended', input: { path: '/vary', ae: 'gzip' }, want: { encoding: 'gzip', vary: 'Cookie, Accept-Encoding', body: BIG } },
    { name: 'a streamed body is compressed', input: { path: '/stream', ae: 'gzip' }, want: { encoding: 'gzip', vary: 'Accept-Encoding', body: BIG + BIG + 'end' } },
    { name: 'a handler that wrote through ctx.res is left alone', input: { path: '/raw', ae: 'br' }, want: { encoding: null, vary: null, body: BIG } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const res = await compressApp().request(r.input.path, { headers: r.input.ae === undefined ? {} : { 'accept-encoding': r.input.ae } });
      assert.equal(res.status, r.want.status ?? 200);
      const coding = res.headers.get('content-encoding');
      assert.equal(coding, r.want.encoding);
      assert.equal(res.headers.get('vary'), r.want.vary);
      if (r.want.etag !== undefined) assert.equal(res.headers.get('etag'), r.want.etag);
      assert.equal(decode(coding, Buffer.from(await res.arrayBuffer())), r.want.body);
    });
  }

  test('a compressed whole body keeps a Content-Length of the compressed bytes', async () => {
    const res = await compressApp().request('/big', { headers: { 'accept-encoding': 'br' } });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('content-length'), String(bytes.length));
    assert.ok(bytes.length < BIG.length / 4);
  });

  test('streams give their slot back; over the cap a stream goes as identity, never queued', async () => {
    const limiter = new CompressionLimiter(1);
    const app = compressApp(limiter);
    const res = await app.request('/stream', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    await res.arrayBuffer();
    assert.equal(limiter.inUse, 0);
    const none = compressApp(new CompressionLimiter(0));
    const identity = await none.request('/stream', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(identity.headers.get('content-encoding'), null);
    assert.equal(await identity.text(), BIG + BIG + 'end');
    // Whole bodies hold no slot (compressed at once, like the static handler's small files).
    const whole = await none.request('/big', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(whole.headers.get('content-encoding'), 'gzip');
  });

  test('a slot is given back when the response fails before the stream is pumped', async () => {
    const limiter = new CompressionLimiter(1);
    const app = new App({ onError: () => undefined });
    app.use(async (_ctx, next) => {
      await next();
      throw new Error('after compress');
    });
    app.use(compress({ compressionLimiter: limiter }));
    app.get('/', (ctx) => ctx.stream(chunks(BIG), 'text/plain'));
    const res = await app.request('/', { headers: { 'accept-encoding': 'br' } });
    assert.equal(res.status, 500);
    await res.arrayBuffer();
    assert.equal(limiter.inUse, 0);
  });

  test('options are checked when compress() is called', () => {
    assert.throws(() => compress({ thresholdBytes: -1 }), RangeError);
    assert.throws(() => compress({ brotliQuality: 12 }), RangeError);
    assert.throws(() => compress({ encodings: ['zstd' as 'br'] }), RangeError);
  });
});

describe('compress() over a real socket', () => {
  let server: RunningServer;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  before(async () => {
    const app = new App();
    app.use(compress());
    app.get('/live', (ctx) =>
      ctx.stream(
        (async function* () {
          yield 'first chunk, flushed;'.repeat(60);
          await gate;
          yield 'second';
        })(),
        'text/plain',
      ),
    );
    server = await app.listen(0, '127.0.0.1');
  });
  after(() => server.close());

  test('each streamed chunk is flushed: the first decodes before the second is produced', async () => {
    const sock = net.connect(server.port, '127.0.0.1');
    try {
      let raw = Buffer.alloc(0);
      const firstText = 'first chunk, flushed;'.repeat(60);
      /** The chunked body's data so far (RFC 9112 §7.1), decoded with a sync flush (partial input allowed). */
      const bodySoFar = (): string => {
        const text = raw.toString('latin1');
        const headEnd = text.indexOf('\r\n\r\n');
        if (headEnd < 0) return '';
        let at = headEnd + 4;
        const parts: Buffer[] = [];
        for (;;) {
          const eol = text.indexOf('\r\n', at);
          if (eol < 0) break;
          const n = parseInt(text.slice(at, eol), 16);
          if (n === 0 || eol + 2 + n + 2 > raw.length) break;
          parts.push(raw.subarray(eol + 2, eol + 2 + n));
          at = eol + 2 + n + 2;
        }
        if (parts.length === 0) return '';
        return zlib.brotliDecompressSync(Buffer.concat(parts), { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }).toString();
      };
      await new Promise<void>((resolve, reject) => {
        sock.on('error', reject);
        sock.on('data', (d: Buffer) => {
          raw = Buffer.concat([raw, d]);
          if (bodySoFar() === firstText) resolve();
        });
        sock.write('GET /live HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n');
      });
      assert.match(raw.toString('latin1'), /content-encoding: br\r\n/i);
      assert.match(raw.toString('latin1'), /Transfer-Encoding: chunked\r\n/);
      const ended = new Promise<void>((resolve) => sock.on('end', resolve));
      release();
      await ended;
      assert.equal(bodySoFar(), firstText + 'second');
    } finally {
      sock.destroy();
    }
  });
});
