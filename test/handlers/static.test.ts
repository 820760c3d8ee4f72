// Tests for src/handlers/static.ts over real sockets: one header rule per test (issue #5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Server } from '../../src/server/server.js';
import { staticHandler, type StaticOptions } from '../../src/handlers/static.js';
import {
  APP_JS_BR,
  APP_JS_GZ,
  BIG_BYTES,
  CSS,
  HELLO,
  INDEX_HTML,
  makeTree,
  request,
  sendRaw,
  startStatic,
  type Tree,
} from '../fixtures/static/harness.js';
import { asUnprivileged, skipWithoutPermissions } from '../helpers/unprivileged.js';

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

describe('static: plain files', () => {
  let srv: Awaited<ReturnType<typeof startStatic>>;
  before(async () => {
    srv = await startStatic({ root: tree.root, listing: true });
  });
  after(() => srv.close());

  const types: { name: string; input: string; want: string }[] = [
    { name: 'text with charset', input: '/hello.txt', want: 'text/plain; charset=utf-8' },
    { name: 'css', input: '/style.css', want: 'text/css; charset=utf-8' },
    { name: 'json', input: '/data.json', want: 'application/json; charset=utf-8' },
    { name: 'png without charset', input: '/image.png', want: 'image/png' },
    { name: 'unknown is octet-stream', input: '/big.bin', want: 'application/octet-stream' },
    { name: 'index.html for /', input: '/', want: 'text/html; charset=utf-8' },
  ];
  for (const row of types) {
    test(`Content-Type: ${row.name}`, async () => {
      const r = await request(srv.port, 'GET', row.input);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], row.want);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    });
  }

  test('GET sends exact bytes with Content-Length and validators', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt');
    assert.equal(r.body.toString(), HELLO);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(HELLO)));
    assert.match(r.headers['etag']!, /^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
    const mtime = fs.statSync(path.join(tree.root, 'hello.txt')).mtime;
    assert.equal(r.headers['last-modified'], mtime.toUTCString());
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['vary'], undefined, 'no Vary without compression');
  });

  test('index.html is served for the directory', async () => {
    const r = await request(srv.port, 'GET', '/');
    assert.equal(r.body.toString(), INDEX_HTML);
    const sub = await request(srv.port, 'GET', '/sub/');
    assert.equal(sub.body.toString(), '<p>sub index</p>');
  });

  test('empty file', async () => {
    const r = await request(srv.port, 'GET', '/empty.txt');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.body.length, 0);
  });

  test('large file streams intact', async () => {
    const r = await request(srv.port, 'GET', '/big.bin');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BIG_BYTES));
    assert.ok(r.body.equals(tree.big));
  });

  test('HEAD: same headers as GET, no body', async () => {
    const get = await request(srv.port, 'GET', '/big.bin');
    const head = await request(srv.port, 'HEAD', '/big.bin');
    assert.equal(head.status, 200);
    for (const name of ['content-length', 'content-type', 'etag', 'last-modified', 'accept-ranges', 'cache-control']) {
      assert.equal(head.headers[name], get.headers[name], name);
    }
    // Nothing after the head: the next bytes would poison a keep-alive connection.
    assert.equal(head.raw.length, head.raw.indexOf('\r\n\r\n') + 4);
  });

  test('HEAD on a small file carries its Content-Length and no body', async () => {
    const head = await request(srv.port, 'HEAD', '/hello.txt');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(HELLO)));
    assert.equal(head.raw.length, head.raw.indexOf('\r\n\r\n') + 4);
  });

  test('symlink inside the root is followed', async () => {
    const r = await request(srv.port, 'GET', '/link-in.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), HELLO);
  });

  test('percent-encoded names are decoded once', async () => {
    const r = await request(srv.port, 'GET', '/docs/b%20dir/inner.txt');
    assert.equal(r.body.toString(), 'inner');
    const lit = await request(srv.port, 'GET', '/%252e%252e');
    assert.equal(lit.status, 200);
    assert.equal(lit.body.toString(), 'literal percent name');
  });

  test('missing file: 404 with a fixed body that does not echo the path', async () => {
    const r = await request(srv.port, 'GET', '/nope-<script>.txt');
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), '404 Not Found\n');
  });

  test('a file with a trailing slash is 404', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt/');
    assert.equal(r.status, 404);
  });

  test('directory without slash: 301 to the slash form, query kept', async () => {
    const r = await request(srv.port, 'GET', '/docs?x=1&y=%20');
    assert.equal(r.status, 301);
    assert.equal(r.headers['location'], '/docs/?x=1&y=%20');
  });

  test('redirect Location is rebuilt from the normalized path (no open redirect)', async () => {
    const r = await request(srv.port, 'GET', '//docs');
    assert.equal(r.status, 301);
    assert.equal(r.headers['location'], '/docs/');
    const enc = await request(srv.port, 'GET', '/docs/b%20dir');
    assert.equal(enc.headers['location'], '/docs/b%20dir/');
  });

  test('405 with Allow for other methods on an existing path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await request(srv.port, method, '/hello.txt');
      assert.equal(r.status, 405, method);
      assert.equal(r.headers['allow'], 'GET, HEAD, OPTIONS');
    }
  });

  test('OPTIONS answers 204 with Allow', async () => {
    const r = await request(srv.port, 'OPTIONS', '/hello.txt');
    assert.equal(r.status, 204);
    assert.equal(r.headers['allow'], 'GET, HEAD, OPTIONS');
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });

  test('POST to a missing path is 404, not 405', async () => {
    const r = await request(srv.port, 'POST', '/missing');
    assert.equal(r.status, 404);
  });

  test('keep-alive: two requests on one connection, the second after a HEAD', async () => {
    const raw = await sendRaw(
      srv.port,
      'HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const text = raw.toString('latin1');
    const second = text.indexOf('HTTP/1.1 200', 5);
    assert.ok(second > 0);
    assert.ok(text.endsWith(HELLO));
    assert.equal(text.split('HTTP/1.1 200 OK').length, 3);
  });
});

describe('static: directory listing', () => {
  let srv: Awaited<ReturnType<typeof startStatic>>;
  before(async () => {
    srv = await startStatic({ root: tree.root, listing: true });
  });
  after(() => srv.close());

  test('sorted, directories first, natural order, escaped and encoded', async () => {
    const r = await request(srv.port, 'GET', '/docs/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    const html = r.body.toString();
    const hrefs = [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, [
      '../',
      'b%20dir/',
      '%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt',
      'a.txt',
      'caf%C3%A9%20%26%20co.txt',
      'file2.txt',
      'file10.txt',
    ]);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.txt</a>'));
    assert.ok(!html.includes('<img'), 'no live markup from a file name');
    assert.ok(html.includes('caf\u00e9 &amp; co.txt'));
    assert.ok(!html.includes('.hidden'), 'dotfiles hidden');
    assert.ok(!html.includes('link-dir-out'), 'links out of the root hidden');
    assert.match(html, /<title>Index of \/docs\/<\/title>/);
    assert.match(html, /title="2 bytes">2 B</);
  });

  test('root listing has no parent link', async () => {
    const s = await startStatic({ root: path.join(tree.root, 'docs'), listing: true });
    try {
      const r = await request(s.port, 'GET', '/');
      assert.ok(!r.body.toString().includes('href="../"'));
    } finally {
      await s.close();
    }
  });

  test('HEAD of a listing: length, no body', async () => {
    const get = await request(srv.port, 'GET', '/docs/');
    const head = await request(srv.port, 'HEAD', '/docs/');
    assert.equal(head.headers['content-length'], String(get.body.length));
    assert.equal(head.raw.length, head.raw.indexOf('\r\n\r\n') + 4);
  });

  test('listing off: 404 for a directory without index', async () => {
    const s = await startStatic({ root: tree.root });
    try {
      assert.equal((await request(s.port, 'GET', '/docs/')).status, 404);
    } finally {
      await s.close();
    }
  });
});

describe('static: files the server may not read are 403, not 500', { skip: skipWithoutPermissions }, () => {
  // lstat needs no read permission, so these resolve as files and directories; the
  // EACCES comes from open or readdir (a silent 500 before).
  const rows: { name: string; input: string; headers?: Record<string, string>; want: number }[] = [
    { name: 'a small file (read whole)', input: '/locked/small.txt', want: 403 },
    { name: 'a large file (streamed)', input: '/locked/large.bin', want: 403 },
    { name: 'a range of a file', input: '/locked/small.txt', headers: { Range: 'bytes=0-1' }, want: 403 },
    { name: 'a file compressed on the fly', input: '/locked/small.txt', headers: { 'Accept-Encoding': 'gzip' }, want: 403 },
    { name: 'the listing of a directory', input: '/locked/dir/', want: 403 },
    { name: 'a readable file beside them', input: '/hello.txt', want: 200 },
  ];
  let srv: Awaited<ReturnType<typeof startStatic>>;
  before(async () => {
    const locked = path.join(tree.root, 'locked');
    fs.mkdirSync(path.join(locked, 'dir'), { recursive: true });
    fs.writeFileSync(path.join(locked, 'small.txt'), 'private '.repeat(300));
    fs.writeFileSync(path.join(locked, 'large.bin'), Buffer.alloc(BIG_BYTES));
    for (const p of ['small.txt', 'large.bin', 'dir']) fs.chmodSync(path.join(locked, p), 0o000);
    srv = await startStatic({ root: tree.root, listing: true, compress: true });
  });
  after(async () => {
    await srv.close();
    // Readable again, so the tree's cleanup can remove them as any user.
    fs.chmodSync(path.join(tree.root, 'locked', 'dir'), 0o755);
  });

  for (const { name, input, headers, want } of rows) {
    test(`${name}: ${want}`, async () => {
      const r = await asUnprivileged([tree.base, tree.root], () => request(srv.port, 'GET', input, headers));
      assert.equal(r.status, want);
      if (want === 403) assert.ok(!r.body.toString().includes('private'));
    });
  }
});

describe('static: conditional requests (RFC 9110 §13)', () => {
  let srv: Awaited<ReturnType<typeof startStatic>>;
  let etag: string;
  let lastModified: string;
  before(async () => {
    srv = await startStatic({ root: tree.root, maxAgeSeconds: 60 });
    const r = await request(srv.port, 'GET', '/hello.txt');
    etag = r.headers['etag']!;
    lastModified = r.headers['last-modified']!;
  });
  after(() => srv.close());

  const rows: { name: string; input: () => Record<string, string>; method?: string; want: number }[] = [
    { name: 'If-None-Match same tag', input: () => ({ 'If-None-Match': etag }), want: 304 },
    { name: 'If-None-Match weak form matches', input: () => ({ 'If-None-Match': `W/${etag}` }), want: 304 },
    { name: 'If-None-Match list', input: () => ({ 'If-None-Match': `"x", ${etag}` }), want: 304 },
    { name: 'If-None-Match *', input: () => ({ 'If-None-Match': '*' }), want: 304 },
    { name: 'If-None-Match other', input: () => ({ 'If-None-Match': '"other"' }), want: 200 },
    { name: 'If-None-Match on HEAD', method: 'HEAD', input: () => ({ 'If-None-Match': etag }), want: 304 },
    { name: 'If-Modified-Since = Last-Modified', input: () => ({ 'If-Modified-Since': lastModified }), want: 304 },
    { name: 'If-Modified-Since old', input: () => ({ 'If-Modified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' }), want: 200 },
    { name: 'If-Modified-Since invalid is ignored', input: () => ({ 'If-Modified-Since': 'garbage' }), want: 200 },
    { name: 'If-None-Match wins over If-Modified-Since', input: () => ({ 'If-None-Match': '"other"', 'If-Modified-Since': lastModified }), want: 200 },
    { name: 'If-Match same', input: () => ({ 'If-Match': etag }), want: 200 },
    { name: 'If-Match other', input: () => ({ 'If-Match': '"other"' }), want: 412 },
    { name: 'If-Match weak never matches', input: () => ({ 'If-Match': `W/${etag}` }), want: 412 },
    { name: 'If-Unmodified-Since old', input: () => ({ 'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT' }), want: 412 },
    { name: 'If-Unmodified-Since = Last-Modified', input: () => ({ 'If-Unmodified-Since': lastModified }), want: 200 },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const r = await request(srv.port, row.method ?? 'GET', '/hello.txt', row.input());
      assert.equal(r.status, row.want);
      if (row.want === 304) {
        assert.equal(r.headers['etag'], etag);
        assert.equal(r.headers['cache-control'], 'public, max-age=60');
        assert.equal(r.body.length, 0);
        assert.equal(r.raw.length, r.raw.indexOf('\r\n\r\n') + 4, '304 has no body');
        assert.equal(r.headers['content-type'], undefined);
      }
      if (row.want === 200 && row.method !== 'HEAD') assert.equal(r.body.toString(), HELLO);
    });
  }

  test('ETag and body change together when the file changes (cacheTtlMs: 0)', async () => {
    const s = await startStatic({ root: tree.root, cacheTtlMs: 0 });
    try {
      const p = path.join(tree.root, 'changing.txt');
      fs.writeFileSync(p, 'one');
      const a = await request(s.port, 'GET', '/changing.txt');
      assert.equal(a.body.toString(), 'one');
      fs.writeFileSync(p, 'two!');
      const b = await request(s.port, 'GET', '/changing.txt');
      assert.notEqual(a.headers['etag'], b.headers['etag']);
      assert.equal(b.body.toString(), 'two!', 'the content cache is keyed by file identity');
      const c = await request(s.port, 'GET', '/changing.txt', { 'If-None-Match': a.headers['etag']! });
      assert.equal(c.status, 200);
      assert.equal(c.body.toString(), 'two!');
    } finally {
      await s.close();
    }
  });

  test('path cache: a change shows up once cacheTtlMs has passed, never torn', async () => {
    let now = 0;
    const s = await startStatic({ root: tree.root, cacheTtlMs: 1000, clock: () => now });
    try {
      const p = path.join(tree.root, 'cached.txt');
      fs.writeFileSync(p, 'old');
      const a = await request(s.port, 'GET', '/cached.txt');
      fs.writeFileSync(p, 'newer');
      now = 999;
      const b = await request(s.port, 'GET', '/cached.txt');
      // Within the TTL: the old version, consistently (old ETag with old bytes).
      assert.equal(b.headers['etag'], a.headers['etag']);
      assert.equal(b.body.toString(), 'old');
      now = 1000;
      const c = await request(s.port, 'GET', '/cached.txt');
      assert.notEqual(c.headers['etag'], a.headers['etag']);
      assert.equal(c.body.toString(), 'newer');
      // Missing paths are not cached: a new file is served at once.
      assert.equal((await request(s.port, 'GET', '/born.txt')).status, 404);
      fs.writeFileSync(path.join(tree.root, 'born.txt'), 'hi');
      assert.equal((await request(s.port, 'GET', '/born.txt')).status, 200);
    } finally {
      await s.close();
    }
  });

  test('etag: false and lastModified: false send no validators', async () => {
    const s = await startStatic({ root: tree.root, etag: false, lastModified: false });
    try {
      const r = await request(s.port, 'GET', '/hello.txt', { 'If-None-Match': '*' });
      assert.equal(r.headers['etag'], undefined);
      assert.equal(r.headers['last-modified'], undefined);
      assert.equal(r.status, 304, 'If-None-Match: * still matches an existing file');
    } finally {
      await s.close();
    }
  });
});

describe('static: ranges (RFC 9110 §14)', () => {
  let srv: Awaited<ReturnType<typeof startStatic>>;
  before(async () => {
    srv = await startStatic({ root: tree.root });
  });
  after(() => srv.close());

  test('single range: 206 with Content-Range and exact bytes', async () => {
    const r = await request(srv.port, 'GET', '/big.bin', { Range: 'bytes=100-199' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 100-199/${BIG_BYTES}`);
    assert.equal(r.headers['content-length'], '100');
    assert.ok(r.body.equals(tree.big.subarray(100, 200)));
  });

  test('suffix range', async () => {
    const r = await request(srv.port, 'GET', '/big.bin', { Range: 'bytes=-10' });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(tree.big.subarray(BIG_BYTES - 10)));
  });

  test('range spanning several chunks', async () => {
    const start = 1000;
    const end = 200_000;
    const r = await request(srv.port, 'GET', '/big.bin', { Range: `bytes=${start}-${end}` });
    assert.ok(r.body.equals(tree.big.subarray(start, end + 1)));
  });

  test('range on a small file', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4' });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), 'Hello');
  });

  test('multiple ranges: multipart/byteranges with exact framing', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4,7-12' });
    assert.equal(r.status, 206);
    const m = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(r.headers['content-type']!);
    assert.ok(m);
    const b = m[1];
    const size = Buffer.byteLength(HELLO);
    const want =
      `--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-4/${size}\r\n\r\nHello` +
      `\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 7-12/${size}\r\n\r\nstatic` +
      `\r\n--${b}--\r\n`;
    assert.equal(r.body.toString(), want);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(want)));
  });

  test('unsatisfiable: 416 with Content-Range bytes */size', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=1000-2000' });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], `bytes */${Buffer.byteLength(HELLO)}`);
  });

  test('malformed Range is ignored: 200 with the whole file', async () => {
    const r = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=5-1' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), HELLO);
  });

  test('Range on HEAD is ignored (GET only, §14.2)', async () => {
    const r = await request(srv.port, 'HEAD', '/hello.txt', { Range: 'bytes=0-4' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(HELLO)));
  });

  test('If-Range with the current ETag: 206; with another: 200', async () => {
    const etag = (await request(srv.port, 'HEAD', '/hello.txt')).headers['etag']!;
    const ok = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4', 'If-Range': etag });
    assert.equal(ok.status, 206);
    const stale = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4', 'If-Range': '"stale"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), HELLO);
  });

  test('If-Range with the Last-Modified date', async () => {
    const lm = (await request(srv.port, 'HEAD', '/hello.txt')).headers['last-modified']!;
    const ok = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4', 'If-Range': lm });
    assert.equal(ok.status, 206);
    const old = await request(srv.port, 'GET', '/hello.txt', { Range: 'bytes=0-4', 'If-Range': 'Sat, 01 Jan 2000 00:00:00 GMT' });
    assert.equal(old.status, 200);
  });

  test('too many ranges: whole file (amplification guard)', async () => {
    const s = await startStatic({ root: tree.root, maxRanges: 3 });
    try {
      const r = await request(s.port, 'GET', '/hello.txt', { Range: 'bytes=0-0,2-2,4-4,6-6' });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), HELLO);
    } finally {
      await s.close();
    }
  });
});

describe('static: content coding', () => {
  test('precompressed siblings chosen by Accept-Encoding, with Vary', async () => {
    const s = await startStatic({ root: tree.root, precompressed: true });
    try {
      const br = await request(s.port, 'GET', '/app.js', { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(br.body.toString(), APP_JS_BR);
      assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(br.headers['vary'], 'Accept-Encoding');
      const gz = await request(s.port, 'GET', '/app.js', { 'Accept-Encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.body.toString(), APP_JS_GZ);
      assert.notEqual(gz.headers['etag'], br.headers['etag']);
      const id = await request(s.port, 'GET', '/app.js');
      assert.equal(id.headers['content-encoding'], undefined);
      assert.equal(id.headers['vary'], 'Accept-Encoding');
      assert.notEqual(id.headers['etag'], br.headers['etag']);
      const refused = await request(s.port, 'GET', '/app.js', { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
      assert.equal(refused.headers['content-encoding'], undefined);
    } finally {
      await s.close();
    }
  });

  test('on-the-fly gzip and brotli for compressible types; decompresses to the file', async () => {
    const s = await startStatic({ root: tree.root, compress: true });
    try {
      const gz = await request(s.port, 'GET', '/style.css', { 'Accept-Encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers['vary'], 'Accept-Encoding');
      assert.match(gz.headers['etag']!, /^W\/".*-gz"$/);
      assert.equal(zlib.gunzipSync(gz.body).toString(), CSS);
      assert.ok(gz.body.length < Buffer.byteLength(CSS));
      const br = await request(s.port, 'GET', '/style.css', { 'Accept-Encoding': 'br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(zlib.brotliDecompressSync(br.body).toString(), CSS);
      const head = await request(s.port, 'HEAD', '/style.css', { 'Accept-Encoding': 'gzip' });
      assert.equal(head.headers['content-length'], String(gz.body.length), 'HEAD announces the compressed length');
      assert.equal(head.headers['content-encoding'], 'gzip');
      assert.equal(head.raw.length, head.raw.indexOf('\r\n\r\n') + 4);
      // Conditional on the weak compressed tag works.
      const again = await request(s.port, 'GET', '/style.css', { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers['etag']! });
      assert.equal(again.status, 304);
    } finally {
      await s.close();
    }
  });

  test('on-the-fly compression of a large file streams (chunked) and round-trips', async () => {
    const s = await startStatic({ root: tree.root, compress: ['gzip'] });
    try {
      const r = await request(s.port, 'GET', '/big.txt', { 'Accept-Encoding': 'gzip' });
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(zlib.gunzipSync(r.body).equals(fs.readFileSync(path.join(tree.root, 'big.txt'))));
      const head = await request(s.port, 'HEAD', '/big.txt', { 'Accept-Encoding': 'gzip' });
      assert.equal(head.headers['transfer-encoding'], 'chunked', 'same framing as GET');
      assert.equal(head.raw.length, head.raw.indexOf('\r\n\r\n') + 4, 'no body, not even a last chunk');
    } finally {
      await s.close();
    }
  });

  test('Accept-Ranges only on identity answers: ranges are never served from a compressed representation', async () => {
    const rows: {
      name: string;
      input: { options: Partial<StaticOptions>; method?: string; target: string; headers?: Record<string, string> };
      want: { coding: string | undefined; acceptRanges: string | undefined };
    }[] = [
      { name: 'on the fly, small (cached)', input: { options: { compress: true }, target: '/style.css', headers: { 'Accept-Encoding': 'gzip' } }, want: { coding: 'gzip', acceptRanges: undefined } },
      { name: 'on the fly, small, HEAD', input: { options: { compress: true }, method: 'HEAD', target: '/style.css', headers: { 'Accept-Encoding': 'br' } }, want: { coding: 'br', acceptRanges: undefined } },
      { name: 'on the fly, large (streamed)', input: { options: { compress: true }, target: '/big.txt', headers: { 'Accept-Encoding': 'gzip' } }, want: { coding: 'gzip', acceptRanges: undefined } },
      { name: 'on the fly, large, HEAD', input: { options: { compress: true }, method: 'HEAD', target: '/big.txt', headers: { 'Accept-Encoding': 'gzip' } }, want: { coding: 'gzip', acceptRanges: undefined } },
      { name: 'precompressed sibling', input: { options: { precompressed: true }, target: '/app.js', headers: { 'Accept-Encoding': 'br' } }, want: { coding: 'br', acceptRanges: undefined } },
      { name: 'identity of a negotiable file', input: { options: { compress: true, precompressed: true }, target: '/app.js' }, want: { coding: undefined, acceptRanges: 'bytes' } },
      { name: 'identity over the compression cap', input: { options: { compress: true, maxConcurrentCompressions: 0 }, target: '/big.txt', headers: { 'Accept-Encoding': 'gzip' } }, want: { coding: undefined, acceptRanges: 'bytes' } },
      { name: 'not compressible', input: { options: { compress: true }, target: '/image.png', headers: { 'Accept-Encoding': 'gzip' } }, want: { coding: undefined, acceptRanges: 'bytes' } },
    ];
    for (const { name, input, want } of rows) {
      const s = await startStatic({ root: tree.root, ...input.options });
      try {
        const r = await request(s.port, input.method ?? 'GET', input.target, input.headers);
        assert.equal(r.status, 200, name);
        assert.equal(r.headers['content-encoding'], want.coding, name);
        assert.equal(r.headers['accept-ranges'], want.acceptRanges, name);
      } finally {
        await s.close();
      }
    }
  });

  test('resuming a compressed download with If-Range gets the whole identity file, never identity bytes', async () => {
    const s = await startStatic({ root: tree.root, precompressed: true, compress: true });
    try {
      const rows = [
        { name: 'precompressed sibling', target: '/app.js', coding: 'br' },
        { name: 'on the fly', target: '/style.css', coding: 'gzip' },
      ];
      for (const row of rows) {
        const first = await request(s.port, 'GET', row.target, { 'Accept-Encoding': row.coding });
        assert.equal(first.headers['content-encoding'], row.coding, row.name);
        const resumed = await request(s.port, 'GET', row.target, { 'Accept-Encoding': row.coding, Range: 'bytes=4-', 'If-Range': first.headers.etag! });
        assert.equal(resumed.status, 200, row.name);
        assert.equal(resumed.headers['content-encoding'], undefined, row.name);
        assert.equal(resumed.headers['content-range'], undefined, row.name);
        assert.deepEqual(resumed.body, fs.readFileSync(path.join(tree.root, row.target)), row.name);
      }
    } finally {
      await s.close();
    }
  });

  test('maxCompressBytes: larger files are sent identity, with a length and ranges', async () => {
    const KIB = 1024;
    fs.writeFileSync(path.join(tree.root, 'cap-at.txt'), 'a'.repeat(100 * KIB));
    fs.writeFileSync(path.join(tree.root, 'cap-over.txt'), 'a'.repeat(100 * KIB + 1));
    const rows: {
      name: string;
      input: { options: Partial<StaticOptions>; method: string; target: string };
      want: { coding: string | undefined; contentLength?: string };
    }[] = [
      { name: 'streamed, at the cap', input: { options: { maxCompressBytes: 100 * KIB }, method: 'GET', target: '/cap-at.txt' }, want: { coding: 'gzip' } },
      { name: 'streamed, one byte over', input: { options: { maxCompressBytes: 100 * KIB }, method: 'GET', target: '/cap-over.txt' }, want: { coding: undefined, contentLength: String(100 * KIB + 1) } },
      { name: 'small (cached) file over a small cap', input: { options: { maxCompressBytes: 2 * KIB }, method: 'GET', target: '/style.css' }, want: { coding: undefined, contentLength: String(Buffer.byteLength(CSS)) } },
      { name: 'Infinity lifts the cap', input: { options: { maxCompressBytes: Infinity }, method: 'GET', target: '/cap-over.txt' }, want: { coding: 'gzip' } },
    ];
    for (const { name, input, want } of rows) {
      const s = await startStatic({ root: tree.root, compress: true, ...input.options });
      try {
        const r = await request(s.port, input.method, input.target, { 'Accept-Encoding': 'gzip' });
        assert.equal(r.status, 200, name);
        assert.equal(r.headers['content-encoding'], want.coding, name);
        if (want.coding === undefined) {
          assert.equal(r.headers['content-length'], want.contentLength, name);
          assert.equal(r.headers['accept-ranges'], 'bytes', name);
          assert.equal(r.headers.vary, undefined, `${name}: the answer does not depend on Accept-Encoding`);
        }
      } finally {
        await s.close();
      }
    }
  });

  test('maxCompressBytes default: a sparse 10 GiB text file is announced identity, not compressed', async () => {
    // The review's attack: with --gzip, a GET of such a file made the server compress
    // ~2.2 GB in 5 s for a client that received 2.2 MB. HEAD shows what a GET would get.
    const p = path.join(tree.root, 'sparse.txt');
    const TEN_GIB = 10 * 1024 * 1024 * 1024;
    fs.closeSync(fs.openSync(p, 'w'));
    fs.truncateSync(p, TEN_GIB);
    const s = await startStatic({ root: tree.root, compress: true });
    try {
      const r = await request(s.port, 'HEAD', '/sparse.txt', { 'Accept-Encoding': 'gzip, br' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['content-length'], String(TEN_GIB));
      assert.equal(r.headers['transfer-encoding'], undefined);
    } finally {
      await s.close();
      fs.rmSync(p);
    }
  });

  test('maxCompressBytes must be a number >= 0', () => {
    for (const bad of [-1, Number.NaN]) assert.throws(() => staticHandler({ root: tree.root, maxCompressBytes: bad }), RangeError, String(bad));
  });

  test('not compressed: binary types, small files, Range requests', async () => {
    const s = await startStatic({ root: tree.root, compress: true });
    try {
      const png = await request(s.port, 'GET', '/image.png', { 'Accept-Encoding': 'gzip' });
      assert.equal(png.headers['content-encoding'], undefined);
      assert.equal(png.headers['vary'], undefined);
      const small = await request(s.port, 'GET', '/hello.txt', { 'Accept-Encoding': 'gzip' });
      assert.equal(small.headers['content-encoding'], undefined);
      const ranged = await request(s.port, 'GET', '/style.css', { 'Accept-Encoding': 'gzip', Range: 'bytes=0-3' });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers['content-encoding'], undefined);
      assert.equal(ranged.body.toString(), 'body');
    } finally {
      await s.close();
    }
  });
});

describe('static: options', () => {
  test('Vary: Accept-Encoding is added to a Vary set before the handler, not over it', async () => {
    const inner = staticHandler({ root: tree.root, compress: true });
    const server = new Server((req, res) => {
      res.headers.set('Vary', 'Origin');
      return inner(req, res);
    });
    await server.listen(0, '127.0.0.1');
    try {
      const r = await request(server.port, 'GET', '/style.css', { 'Accept-Encoding': 'gzip' });
      assert.equal(r.headers['vary'], 'Origin, Accept-Encoding');
    } finally {
      await server.close();
    }
  });

  test('cacheControl, maxAgeSeconds and immutable', async () => {
    const a = await startStatic({ root: tree.root, maxAgeSeconds: 3600, immutable: true });
    const b = await startStatic({ root: tree.root, cacheControl: 'private, max-age=5' });
    try {
      assert.equal((await request(a.port, 'GET', '/hello.txt')).headers['cache-control'], 'public, max-age=3600, immutable');
      assert.equal((await request(b.port, 'GET', '/hello.txt')).headers['cache-control'], 'private, max-age=5');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('spa fallback: extension-less missing paths get index.html, assets stay 404', async () => {
    const s = await startStatic({ root: tree.root, spa: true });
    try {
      const r = await request(s.port, 'GET', '/app/route/42');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), INDEX_HTML);
      assert.equal((await request(s.port, 'GET', '/missing.js')).status, 404);
      assert.equal((await request(s.port, 'POST', '/app/route')).status, 404);
    } finally {
      await s.close();
    }
  });

  test('cors: header on responses, preflight answered', async () => {
    const s = await startStatic({ root: tree.root, cors: true });
    try {
      const r = await request(s.port, 'GET', '/hello.txt', { Origin: 'http://other.example' });
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.match(r.headers['access-control-expose-headers']!, /ETag/);
      const pre = await request(s.port, 'OPTIONS', '/hello.txt', {
        Origin: 'http://other.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
      assert.match(pre.headers['access-control-allow-headers']!, /Range/);
      assert.equal(pre.headers['access-control-max-age'], '86400');
    } finally {
      await s.close();
    }
  });

  test('index: false and custom index names', async () => {
    const a = await startStatic({ root: tree.root, index: false });
    const b = await startStatic({ root: tree.root, index: ['page.html', 'index.html'] });
    try {
      assert.equal((await request(a.port, 'GET', '/')).status, 404);
      assert.equal((await request(b.port, 'GET', '/sub/')).body.toString(), '<p>sub page</p>');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('dotfiles: deny 403, ignore 404, allow serves', async () => {
    const deny = await startStatic({ root: tree.root });
    const ignore = await startStatic({ root: tree.root, dotfiles: 'ignore' });
    const allow = await startStatic({ root: tree.root, dotfiles: 'allow' });
    try {
      assert.equal((await request(deny.port, 'GET', '/.env')).status, 403);
      assert.equal((await request(ignore.port, 'GET', '/.env')).status, 404);
      const r = await request(allow.port, 'GET', '/.env');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'SECRET_ENV=1');
    } finally {
      await deny.close();
      await ignore.close();
      await allow.close();
    }
  });

  test('symlinks: deny refuses even links that stay inside', async () => {
    const s = await startStatic({ root: tree.root, symlinks: 'deny' });
    try {
      assert.equal((await request(s.port, 'GET', '/link-in.txt')).status, 403);
      assert.equal((await request(s.port, 'GET', '/link-docs/a.txt')).status, 403);
      assert.equal((await request(s.port, 'GET', '/hello.txt')).status, 200);
    } finally {
      await s.close();
    }
  });

  test('prefix mount and onNotFound fall-through', async () => {
    const server = new Server(
      staticHandler({
        root: tree.root,
        prefix: '/files',
        onNotFound: (_req, res) => {
          res.headers.set('Content-Type', 'text/plain');
          res.end('app route');
        },
      }),
    );
    await server.listen(0, '127.0.0.1');
    try {
      const hit = await request(server.port, 'GET', '/files/hello.txt');
      assert.equal(hit.body.toString(), HELLO);
      const bare = await request(server.port, 'GET', '/files?q=1');
      assert.equal(bare.status, 301);
      assert.equal(bare.headers['location'], '/files/?q=1');
      const outside = await request(server.port, 'GET', '/hello.txt');
      assert.equal(outside.body.toString(), 'app route');
      const missing = await request(server.port, 'GET', '/files/missing');
      assert.equal(missing.body.toString(), 'app route');
      const escape = await request(server.port, 'GET', '/files/../hello.txt');
      assert.equal(escape.body.toString(), 'app route', 'normalized before the prefix is checked');
      const dir = await request(server.port, 'GET', '/files/docs');
      assert.equal(dir.headers['location'], '/files/docs/');
    } finally {
      await server.close();
    }
  });

  test('an error thrown by onNotFound reaches the server untouched (not a 500 from static)', async () => {
    const boom = new Error('app failure');
    const inner = staticHandler({ root: tree.root, onNotFound: () => Promise.reject(boom) });
    const res = { headersSent: false, finished: false } as unknown as Parameters<typeof inner>[1];
    const req = { method: 'GET', path: '/missing', query: '', header: () => undefined } as unknown as Parameters<typeof inner>[0];
    await assert.rejects(async () => inner(req, res), (err) => err === boom);
  });

  test('a missing root fails at creation', () => {
    assert.throws(() => staticHandler({ root: path.join(tree.base, 'no-such-dir') }), /ENOENT/);
    assert.throws(() => staticHandler({ root: path.join(tree.root, 'hello.txt') }), /not a directory/);
  });
});
