// Streaming, backpressure and descriptor hygiene of the static handler (issue #5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Server } from '../../src/server/server.js';
import { staticHandler, DEFAULT_CHUNK_BYTES } from '../../src/handlers/static.js';
import type { Handler, Request, ResponseWriter } from '../../src/server/handler.js';
import { CompressionLimiter } from '../../src/handlers/compression.js';
import { BIG_BYTES, makeTree, openFdCount, sendRaw, type Tree } from '../fixtures/static/harness.js';

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

/** Descriptors of this process that point at files under the fixture root. */
function fdsUnderRoot(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(tree.root)) out.push(target);
    } catch {
      // The descriptor closed between readdir and readlink (it was readdir's own).
    }
  }
  return out;
}

/** One fs round trip: lets a handler that is free to read do so. */
function fsTurn(): Promise<void> {
  return new Promise((resolve) => fs.stat(tree.root, () => resolve()));
}

/** A minimal in-memory Request for driving the handler directly. */
function fakeRequest(method: string, p: string, headers: Record<string, string> = {}): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method,
    target: p,
    path: p,
    query: '',
    version: '1.1',
    header: (n: string) => lower[n.toLowerCase()],
  } as unknown as Request;
}

/** A ResponseWriter whose socket is always "full" until the test releases drain(). */
class StuckResponse {
  status = 200;
  readonly headers = new Map<string, string>();
  readonly chunks: Buffer[] = [];
  closed = false;
  finished = false;
  headersSent = false;
  /** What destroy() was called with (undefined: not called). */
  destroyedWith: { err: unknown } | undefined;
  #release: (() => void) | undefined;
  #onWrite: (() => void) | undefined;
  readonly asWriter: ResponseWriter;
  constructor() {
    const h = this.headers;
    const self = this;
    this.asWriter = {
      get status() {
        return self.status;
      },
      set status(v: number) {
        self.status = v;
      },
      headers: {
        set(n: string, v: unknown) {
          h.set(n.toLowerCase(), String(v));
          return this;
        },
        append() {
          return this;
        },
        get: (n: string) => h.get(n.toLowerCase()),
        getAll: () => [],
        has: (n: string) => h.has(n.toLowerCase()),
        delete: (n: string) => h.delete(n.toLowerCase()),
        entries: () => h.entries(),
      },
      get headersSent() {
        return self.headersSent;
      },
      get finished() {
        return self.finished;
      },
      get closed() {
        return self.closed;
      },
      writeHead() {
        return this;
      },
      write(chunk: string | Uint8Array) {
        self.headersSent = true;
        self.chunks.push(Buffer.from(chunk));
        self.#onWrite?.();
        return false; // always full
      },
      drain: () => new Promise<void>((resolve) => (self.#release = resolve)),
      end(chunk?: string | Uint8Array) {
        if (chunk !== undefined) self.chunks.push(Buffer.from(chunk));
        self.finished = true;
      },
      setTrailer() {},
      onClose() {},
      destroy(err?: unknown) {
        self.destroyedWith = { err };
        self.closed = true;
        self.#release?.();
      },
    } as unknown as ResponseWriter;
  }
  nextWrite(): Promise<void> {
    return new Promise((resolve) => (this.#onWrite = resolve));
  }
  release(): void {
    const r = this.#release;
    this.#release = undefined;
    r?.();
  }
}

test('backpressure: no read past one chunk while the socket is full', async () => {
  const handler = staticHandler({ root: tree.root });
  const res = new StuckResponse();
  const firstWrite = res.nextWrite();
  const done = handler(fakeRequest('GET', '/big.bin'), res.asWriter);
  await firstWrite;
  // Give the handler many chances to read more; it must be parked on drain().
  for (let i = 0; i < 20; i++) await fsTurn();
  assert.equal(res.chunks.length, 1);
  assert.equal(res.chunks[0]!.length, DEFAULT_CHUNK_BYTES);
  // Release once: exactly one more chunk.
  const second = res.nextWrite();
  res.release();
  await second;
  for (let i = 0; i < 20; i++) await fsTurn();
  assert.equal(res.chunks.length, 2);
  assert.ok(Buffer.concat(res.chunks).equals(tree.big.subarray(0, 2 * DEFAULT_CHUNK_BYTES)));
  assert.equal(fdsUnderRoot().length, 1, 'the file is open while streaming');
  // The client goes away: the handler stops and closes the file.
  res.closed = true;
  res.release();
  await done;
  assert.equal(res.finished, false, 'no end() on a dead connection');
  assert.deepEqual(fdsUnderRoot(), []);
});

test('backpressure also holds for on-the-fly compression', async () => {
  const handler = staticHandler({ root: tree.root, compress: ['gzip'], chunkBytes: 16 * 1024 });
  const res2 = new StuckResponse();
  const w = res2.nextWrite();
  const done2 = handler(fakeRequest('GET', '/big.txt', { 'accept-encoding': 'gzip' }), res2.asWriter);
  await w;
  for (let i = 0; i < 20; i++) await fsTurn();
  const parked = res2.chunks.length;
  for (let i = 0; i < 20; i++) await fsTurn();
  assert.equal(res2.chunks.length, parked, 'no more output while the socket is full');
  assert.equal(fdsUnderRoot().length, 1);
  res2.closed = true;
  res2.release();
  await done2;
  assert.deepEqual(fdsUnderRoot(), []);
});

/** A Server whose handler reports when each request's handler has settled. */
async function countingServer(options: Parameters<typeof staticHandler>[0]): Promise<{
  server: Server;
  settled: (n: number) => Promise<void>;
}> {
  const inner = staticHandler(options);
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const handler: Handler = async (req, res) => {
    try {
      await inner(req, res);
    } finally {
      count++;
      for (const w of waiters.filter((x) => count >= x.n)) w.resolve();
    }
  };
  const server = new Server(handler, { onError: () => {} });
  await server.listen(0, '127.0.0.1');
  return {
    server,
    settled: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

/** Requests a target and destroys the socket after `afterBytes` bytes of response. */
function abortedDownload(port: number, head: string, afterBytes: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const sock = net.connect(port, '127.0.0.1', () => sock.write(head));
    sock.on('data', (d) => {
      got += d.length;
      if (got >= afterBytes) sock.destroy();
    });
    sock.on('error', () => {});
    sock.on('close', () => resolve());
  });
}

test('many aborted downloads leave no descriptor open', async () => {
  const { server, settled } = await countingServer({ root: tree.root, compress: true, chunkBytes: 16 * 1024 });
  const baseline = openFdCount();
  try {
    const kinds = [
      'GET /big.bin HTTP/1.1\r\nHost: x\r\n',
      'GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-3000000\r\n',
      'GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1000000,2000000-3000000\r\n',
      'GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n',
      'GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n',
    ].map((h) => h + 'Connection: close\r\n\r\n');
    const ROUNDS = 12;
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Thresholds spread over the first 64 KiB; a compressed answer shorter than its
      // threshold completes instead, and Connection: close ends that connection.
      for (const head of kinds) jobs.push(abortedDownload(server.port, head, 1 + ((i * 7919) % 65_536)));
    }
    await Promise.all(jobs);
    await settled(jobs.length);
    assert.deepEqual(fdsUnderRoot(), [], 'every file descriptor was closed');
    // The server answers normally afterwards.
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () =>
        sock.write('GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      sock.on('data', (d) => (text += d.toString('latin1')));
      sock.on('error', reject);
      sock.on('close', () => {
        assert.match(text, /^HTTP\/1\.1 200 OK/);
        resolve();
      });
    });
    await settled(jobs.length + 1);
  } finally {
    await server.close();
  }
  assert.deepEqual(fdsUnderRoot(), []);
  assert.ok(openFdCount() <= baseline, `fd count ${openFdCount()} back to baseline ${baseline}`);
});

test('a complete download and a concurrent one both get exact bytes', async () => {
  const { server, settled } = await countingServer({ root: tree.root });
  try {
    const fetchAll = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        const sock = net.connect(server.port, '127.0.0.1', () =>
          sock.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        sock.on('data', (d) => chunks.push(d));
        sock.on('error', reject);
        sock.on('close', () => {
          const all = Buffer.concat(chunks);
          resolve(all.subarray(all.indexOf('\r\n\r\n') + 4));
        });
      });
    const [a, b] = await Promise.all([fetchAll(), fetchAll()]);
    assert.equal(a.length, BIG_BYTES);
    assert.ok(a.equals(tree.big));
    assert.ok(b.equals(tree.big));
    await settled(2);
    assert.deepEqual(fdsUnderRoot(), []);
  } finally {
    await server.close();
  }
});

test('a file that shrinks while being sent aborts the connection instead of hanging', async () => {
  const p = path.join(tree.root, 'shrinking.bin');
  fs.writeFileSync(p, Buffer.alloc(2 * 1024 * 1024, 7)); // above cacheMaxFileBytes: streamed
  const handler = staticHandler({ root: tree.root });
  const res = new StuckResponse();
  const first = res.nextWrite();
  const done = handler(fakeRequest('GET', '/shrinking.bin'), res.asWriter);
  await first;
  fs.truncateSync(p, 10);
  res.release();
  // The head is out: the handler aborts the response itself (an App would otherwise end it).
  await done;
  assert.equal(res.finished, false, 'never ended as if complete');
  assert.equal((res.destroyedWith?.err as { code?: string } | undefined)?.code, 'ERR_FILE_CHANGED');
  assert.deepEqual(fdsUnderRoot(), []);
});

test('over maxConcurrentCompressions a large file is sent uncompressed; a slot frees when its client leaves (#12 item 7)', async () => {
  const handler = staticHandler({ root: tree.root, compress: true, maxConcurrentCompressions: 1, chunkBytes: 16 * 1024 });
  const br = { 'accept-encoding': 'br' };
  const start = (method: string): { res: StuckResponse; done: Promise<void>; wrote: Promise<void> } => {
    const res = new StuckResponse();
    const wrote = res.nextWrite();
    return { res, wrote, done: Promise.resolve(handler(fakeRequest(method, '/big.txt', br), res.asWriter)) };
  };
  // The first client takes the only slot and never reads.
  const held = start('GET');
  await held.wrote;
  assert.equal(held.res.headers.get('content-encoding'), 'br');
  // The cap is reached: identity, with its own strong ETag and length; still Vary.
  const over = start('GET');
  await over.wrote;
  assert.equal(over.res.headers.get('content-encoding'), undefined);
  assert.equal(over.res.headers.get('content-length'), String(fs.statSync(path.join(tree.root, 'big.txt')).size));
  assert.doesNotMatch(over.res.headers.get('etag') ?? '', /^W\//);
  assert.equal(over.res.headers.get('vary'), 'Accept-Encoding');
  // HEAD announces what a GET would get now.
  const head = start('HEAD');
  await head.done;
  assert.equal(head.res.headers.get('content-encoding'), undefined);
  // The first client leaves: its compressor is destroyed, its slot and descriptor freed.
  held.res.closed = true;
  held.res.release();
  await held.done;
  over.res.closed = true;
  over.res.release();
  await over.done;
  assert.deepEqual(fdsUnderRoot(), []);
  const next = start('GET');
  await next.wrote;
  assert.equal(next.res.headers.get('content-encoding'), 'br');
  next.res.closed = true;
  next.res.release();
  await next.done;
  assert.deepEqual(fdsUnderRoot(), []);
});

describe('a file that shrinks while streamed aborts the response, never ends it (#14 item 7)', () => {
  const rows: { name: string; file: string; encoding?: string }[] = [
    { name: 'identity', file: 'shrink-identity.txt' },
    { name: 'gzip on the fly', file: 'shrink-gzip.txt', encoding: 'gzip' },
    { name: 'brotli on the fly', file: 'shrink-br.txt', encoding: 'br' },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const p = path.join(tree.root, row.file);
      // Random bytes: the compressor's output keeps pace with its input, so the first
      // write happens while most of the file is still unread. Above cacheMaxFileBytes.
      fs.writeFileSync(p, randomBytes(4 * 1024 * 1024));
      const inner = staticHandler({ root: tree.root, compress: true, chunkBytes: 16 * 1024 });
      const errors: unknown[] = [];
      let isTruncated = false;
      const server = new Server(
        async (req, res) => {
          // The file shrinks as soon as the head and the first bytes are out.
          const write = res.write.bind(res);
          res.write = (chunk) => {
            const ok = write(chunk);
            if (!isTruncated) {
              isTruncated = true;
              fs.truncateSync(p, 10);
            }
            return ok;
          };
          await inner(req, res);
        },
        { onError: (err) => errors.push(err) },
      );
      await server.listen(0, '127.0.0.1');
      try {
        const headers = row.encoding !== undefined ? `Accept-Encoding: ${row.encoding}\r\n` : '';
        const raw = await sendRaw(server.port, `GET /${row.file} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
        const end = raw.indexOf('\r\n\r\n');
        const head = raw.subarray(0, end).toString('latin1');
        assert.match(head, /^HTTP\/1\.1 200 /);
        assert.equal(/content-encoding: (\S+)/i.exec(head)?.[1], row.encoding);
        const body = raw.subarray(end + 4);
        if (row.encoding === undefined) {
          assert.ok(body.length < Number(/content-length: (\d+)/i.exec(head)![1]), 'short of its Content-Length');
        } else {
          assert.match(head, /transfer-encoding: chunked/i);
          assert.ok(!body.subarray(-5).equals(Buffer.from('0\r\n\r\n')), 'no last chunk: the body does not look complete');
        }
        assert.ok(errors.some((e) => (e as { code?: string }).code === 'ERR_FILE_CHANGED'), 'onError got ERR_FILE_CHANGED');
      } finally {
        await server.close();
      }
      assert.deepEqual(fdsUnderRoot(), []);
    });
  }
});

test('a compressionLimiter shared by two handlers caps them together', async () => {
  const compressionLimiter = new CompressionLimiter(1);
  const a = staticHandler({ root: tree.root, compress: true, compressionLimiter });
  const b = staticHandler({ root: tree.root, compress: true, compressionLimiter });
  const br = { 'accept-encoding': 'br' };
  const held = new StuckResponse();
  const wrote = held.nextWrite();
  const done = Promise.resolve(a(fakeRequest('GET', '/big.txt', br), held.asWriter));
  await wrote;
  assert.equal(compressionLimiter.inUse, 1);
  const other = new StuckResponse();
  const wrote2 = other.nextWrite();
  const done2 = Promise.resolve(b(fakeRequest('GET', '/big.txt', br), other.asWriter));
  await wrote2;
  assert.equal(other.headers.get('content-encoding'), undefined, 'the other handler found the shared cap reached');
  for (const r of [held, other]) {
    r.closed = true;
    r.release();
  }
  await Promise.all([done, done2]);
  assert.equal(compressionLimiter.inUse, 0);
});

test('invalid brotli settings fail at creation', () => {
  assert.throws(() => staticHandler({ root: tree.root, compress: true, brotliQuality: 12 }), RangeError);
  assert.throws(() => staticHandler({ root: tree.root, compress: true, brotliWindowBits: 30 }), RangeError);
  assert.throws(() => staticHandler({ root: tree.root, compress: true, maxConcurrentCompressions: -1 }), RangeError);
});
