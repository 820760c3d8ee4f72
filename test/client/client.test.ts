// Tests for src/client (#17): the Client against keel's own server, node:http and scripted peers.
// Timeouts are driven with node:test's mock timers (no sleeps); every server and client is closed.
import { describe, test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Client } from '../../src/client/index.js';
import { deferred, rejection, selfSignedCert, withKeel, withNodeHttp, withScripted } from './helpers.js';

const HELLO = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';

describe('Client against keel', () => {
  test('GET, HEAD and POST; sequential requests reuse one connection', async () => {
    await withKeel(async (req, res) => {
      const body = await req.text();
      res.headers.set('x-port', String(req.remotePort));
      res.end(`${req.method} ${req.target} ${body}`);
    }, async (origin) => {
      const client = new Client(origin);
      try {
        const a = await client.request({ path: '/a?x=1' });
        assert.equal(a.status, 200);
        assert.equal(a.reason, 'OK');
        assert.equal(a.headers['content-length'], '11');
        assert.equal(await a.body.text(), 'GET /a?x=1 ');
        const h = await client.request({ method: 'HEAD', path: '/h' });
        assert.equal(h.status, 200);
        assert.equal(await h.body.text(), '');
        const p = await client.request({ method: 'POST', path: '/p', body: 'data', headers: { 'content-type': 'text/plain' } });
        assert.equal(await p.body.text(), 'POST /p data');
        assert.equal(a.headers['x-port'], p.headers['x-port'], 'the same connection carried all three');
        assert.equal(client.connections, 1);
      } finally {
        await client.close();
      }
    });
  });

  test('a chunked response with trailers, and a streamed request body sent chunked', async () => {
    await withKeel(async (req, res) => {
      let n = 0;
      for await (const chunk of req.body) n += chunk.length;
      res.setTrailer('X-Count', String(n));
      res.write('count=');
      res.write(String(n));
      res.end();
    }, async (origin) => {
      const client = new Client(origin);
      try {
        async function* upload(): AsyncGenerator<Uint8Array> {
          for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024, i);
        }
        const res = await client.request({ method: 'POST', path: '/up', body: upload() });
        assert.equal(res.headers['transfer-encoding'], 'chunked');
        assert.equal(await res.body.text(), `count=${64 * 16 * 1024}`);
        assert.deepEqual({ ...res.trailers }, { 'x-count': String(64 * 16 * 1024) });
      } finally {
        await client.close();
      }
    }, { maxBodyBytes: 2 * 1024 * 1024 });
  });

  test('a streamed body with a declared Content-Length is counted, not chunked', async () => {
    await withKeel(async (req, res) => res.end(`${req.header('transfer-encoding') ?? 'length'} ${req.contentLength} ${(await req.bytes()).length}`), async (origin) => {
      const client = new Client(origin);
      try {
        async function* two(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('abc');
          yield Buffer.from('de');
        }
        const res = await client.request({ method: 'PUT', body: two(), headers: { 'content-length': '5' } });
        assert.equal(await res.body.text(), 'length 5 5');
        async function* short(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('abc');
        }
        const err = await rejection(client.request({ method: 'PUT', body: short(), headers: { 'content-length': '5' } }));
        assert.equal(err.code, 'ERR_REQUEST_BODY');
      } finally {
        await client.close();
      }
    });
  });

  test('response bodies stream with backpressure: an unread body holds a bounded amount', async () => {
    const total = 8 * 1024 * 1024;
    let blocked!: () => void;
    const serverBlocked = new Promise<void>((r) => (blocked = r));
    await withKeel(async (_req, res) => {
      res.headers.set('content-length', String(total));
      const piece = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < total; sent += piece.length) {
        if (!res.write(piece)) {
          blocked();
          await res.drain();
        }
      }
      res.end();
    }, async (origin) => {
      const client = new Client(origin);
      try {
        const res = await client.request({ path: '/big' });
        await serverBlocked;
        assert.ok(res.body.readableLength <= 256 * 1024, `buffered ${res.body.readableLength} bytes while unread`);
        let n = 0;
        for await (const chunk of res.body) n += (chunk as Buffer).length;
        assert.equal(n, total);
      } finally {
        await client.close();
      }
    });
  });

  test('pipelining: idempotent requests share one connection and come back in order', async () => {
    await withKeel(async (req, res) => res.end(`${req.target} ${req.remotePort}`), async (origin) => {
      const client = new Client(origin, { pipelining: 4, maxConnections: 1 });
      try {
        const bodies = await Promise.all(Array.from({ length: 12 }, (_, i) => client.request({ path: `/${i}` }).then((r) => r.body.text())));
        const ports = new Set(bodies.map((b) => b.split(' ')[1]));
        assert.deepEqual(bodies.map((b) => b.split(' ')[0]), Array.from({ length: 12 }, (_, i) => `/${i}`));
        assert.equal(ports.size, 1);
      } finally {
        await client.close();
      }
    });
  });

  test('maxConnections bounds the pool; queued requests wait for a free connection', async () => {
    await withKeel(async (req, res) => res.end(String(req.remotePort)), async (origin) => {
      const client = new Client(origin, { maxConnections: 2 });
      try {
        const ports = await Promise.all(Array.from({ length: 10 }, () => client.request().then((r) => r.body.text())));
        assert.ok(new Set(ports).size <= 2);
        assert.ok(client.connections <= 2);
      } finally {
        await client.close();
      }
    });
  });

  test('maxRequestsPerConnection: the last request says Connection: close and a new connection follows', async () => {
    await withKeel(async (req, res) => res.end(`${req.remotePort} ${req.header('connection') ?? '-'}`), async (origin) => {
      const client = new Client(origin, { maxRequestsPerConnection: 2 });
      try {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) out.push(await (await client.request()).body.text());
        assert.equal(out[0].split(' ')[1], '-');
        assert.equal(out[1].split(' ')[1], 'close');
        assert.equal(out[0].split(' ')[0], out[1].split(' ')[0]);
        assert.notEqual(out[1].split(' ')[0], out[2].split(' ')[0]);
      } finally {
        await client.close();
      }
    });
  });

  test('Expect: 100-continue: the body waits for keel\'s 100 and then goes', async () => {
    await withKeel(async (req, res) => res.end(`got ${(await req.bytes()).length}`), async (origin) => {
      const client = new Client(origin, { expectContinueTimeoutMs: 60_000 });
      try {
        const seen: number[] = [];
        const res = await client.request({ method: 'POST', body: 'x'.repeat(1000), expectContinue: true, onInformational: (s) => seen.push(s) });
        assert.equal(await res.body.text(), 'got 1000');
        assert.deepEqual(seen, [100]);
      } finally {
        await client.close();
      }
    });
  });

  test('HTTPS with certificate verification and SNI; an untrusted certificate fails with ERR_CONNECT', async (t) => {
    const pair = selfSignedCert();
    if (pair === null) return t.skip('openssl is not installed');
    await withKeel(async (req, res) => res.end(`secure=${req.isSecure}`), async (origin) => {
      const trusted = new Client(origin, { tls: { ca: pair.cert } });
      const insecure = new Client(origin, { tls: { rejectUnauthorized: false } });
      try {
        assert.equal(await (await trusted.request()).body.text(), 'secure=true');
        assert.equal(await (await insecure.request()).body.text(), 'secure=true');
      } finally {
        await Promise.all([trusted.close(), insecure.close()]);
      }
    }, { tls: { key: pair.key, cert: pair.cert } });

    // Against a plain node:tls server (whose sockets the test can destroy): SNI carries the host
    // name, never an IP literal (RFC 6066 §3), and an untrusted certificate is refused by default.
    const names: Array<string | false> = [];
    const sockets = new Set<tls.TLSSocket>();
    const server = tls.createServer({ key: pair.key, cert: pair.cert }, (s) => {
      names.push((s as tls.TLSSocket & { servername: string | false }).servername);
      s.end(HELLO);
    });
    server.on('secureConnection', (s) => sockets.add(s));
    server.on('connection', (s) => s.on('error', () => {}));
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const byName = new Client(`https://localhost:${port}`, { tls: { ca: pair.cert } });
    const byIp = new Client(`https://127.0.0.1:${port}`, { tls: { ca: pair.cert } });
    const untrusted = new Client(`https://localhost:${port}`);
    try {
      assert.equal(await (await byName.request()).body.text(), 'hello');
      assert.equal(await (await byIp.request()).body.text(), 'hello');
      assert.deepEqual(names, ['localhost', false]);
      const err = await rejection(untrusted.request());
      assert.equal(err.code, 'ERR_CONNECT');
      assert.match(String((err.cause as { code?: string }).code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    } finally {
      byName.destroy();
      byIp.destroy();
      untrusted.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  test('HTTP/1.0 mode sends a 1.0 request line and closes after the response', async () => {
    await withKeel(async (req, res) => res.end(req.version), async (origin) => {
      const client = new Client(origin, { httpVersion: '1.0' });
      try {
        assert.equal(await (await client.request()).body.text(), '1.0');
        assert.equal(client.connections, 0);
      } finally {
        await client.close();
      }
    });
  });

  test('an idle keep-alive connection does not keep the process alive', { timeout: 20_000 }, async () => {
    await withKeel(async (_req, res) => res.end('ok'), async (origin) => {
      // A child fetches with the default Agent and never closes it: it must still exit by itself.
      const entry = new URL('../../src/client/index.ts', import.meta.url).href;
      const code = `import { fetch } from ${JSON.stringify(entry)}; const r = await fetch(${JSON.stringify(origin)}); console.log(await r.text());`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
      const [exitCode] = await once(child, 'exit');
      assert.equal(exitCode, 0);
      assert.equal(out, 'ok\n');
    });
  });

  test('requests that cannot be sent as asked throw TypeError before anything is written', async () => {
    const client = new Client('http://127.0.0.1:9');
    const rows = [
      { name: 'CR in a value', input: { headers: { x: 'a\r\nInjected: 1' } } },
      { name: 'space in the path', input: { path: '/a b' } },
      { name: 'no leading slash', input: { path: 'a' } },
      { name: 'bad method', input: { method: 'GE T' } },
      { name: 'Content-Length that disagrees with the body', input: { method: 'POST', body: 'abc', headers: { 'content-length': '4' } } },
      { name: 'a transfer coding other than chunked', input: { method: 'POST', body: 'abc', headers: { 'transfer-encoding': 'gzip' } } },
    ];
    for (const { name, input } of rows) assert.throws(() => client.request(input), TypeError, name);
    await client.close();
  });
});

describe('Client against node:http (the reference server)', () => {
  test('keep-alive, chunked, HEAD, 204 and 304 framing', async () => {
    await withNodeHttp((req, res) => {
      if (req.url === '/chunked') {
        res.write('a');
        res.write('bc');
        res.end();
      } else if (req.url === '/204') {
        res.writeHead(204).end();
      } else if (req.url === '/304') {
        res.writeHead(304, { etag: '"x"' }).end();
      } else {
        res.setHeader('x-port', String(req.socket.remotePort));
        res.end('hello');
      }
    }, async (origin) => {
      const client = new Client(origin);
      try {
        const a = await client.request({ path: '/chunked' });
        assert.equal(a.headers['transfer-encoding'], 'chunked');
        assert.equal(await a.body.text(), 'abc');
        assert.equal((await client.request({ path: '/204' })).status, 204);
        const n = await client.request({ path: '/304' });
        assert.equal(n.status, 304);
        assert.equal(await n.body.text(), '');
        const h = await client.request({ method: 'HEAD' });
        assert.equal(h.status, 200);
        assert.equal(await h.body.text(), '');
        const g1 = await client.request();
        const g2 = await client.request();
        assert.equal(await g1.body.text(), 'hello');
        await g2.body.dump();
        assert.equal(g1.headers['x-port'], g2.headers['x-port']);
        assert.equal(client.connections, 1);
      } finally {
        await client.close();
      }
    });
  });

  test('node:http pipelining: 20 requests on one connection', async () => {
    await withNodeHttp((req, res) => res.end(req.url), async (origin) => {
      const client = new Client(origin, { pipelining: 10, maxConnections: 1 });
      try {
        const got = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request({ path: `/${i}` }).then((r) => r.body.text())));
        assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `/${i}`));
      } finally {
        await client.close();
      }
    });
  });
});

describe('Client timeouts, aborts and retries (scripted server)', () => {
  test('headersTimeoutMs: a server that never answers', async () => {
    const seen = deferred();
    await withScripted(() => seen.resolve(), async (origin) => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const client = new Client(origin, { headersTimeoutMs: 5_000 });
      try {
        const p = rejection(client.request());
        await seen.promise;
        mock.timers.tick(4_999);
        assert.equal(client.connections, 1, 'not before its time');
        mock.timers.tick(1);
        const err = await p;
        assert.equal(err.code, 'ERR_HEADERS_TIMEOUT');
        assert.equal(client.connections, 0);
      } finally {
        mock.timers.reset();
        client.destroy();
      }
    });
  });

  test('bodyTimeoutMs: a body that stops arriving', async () => {
    await withScripted((conn) => conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel'), async (origin) => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const client = new Client(origin, { bodyTimeoutMs: 5_000 });
      try {
        const res = await client.request();
        const chunks: Buffer[] = [];
        res.body.on('data', (c: Buffer) => chunks.push(c));
        await once(res.body, 'data');
        mock.timers.tick(5_000);
        const [err] = await once(res.body, 'error');
        assert.equal((err as { code: string }).code, 'ERR_BODY_TIMEOUT');
        assert.equal(Buffer.concat(chunks).toString(), 'hel');
      } finally {
        mock.timers.reset();
        client.destroy();
      }
    });
  });

  test('AbortSignal: before sending, while waiting for the head, and while reading the body', async () => {
    const waitSeen = deferred();
    await withScripted((conn, head) => {
      if (head.startsWith('GET /body')) conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      else waitSeen.resolve();
    }, async (origin, state) => {
      const client = new Client(origin);
      try {
        const early = new AbortController();
        early.abort(new Error('changed my mind'));
        const e1 = await rejection(client.request({ signal: early.signal }));
        assert.equal(e1.code, 'ERR_ABORTED');
        assert.equal((e1.cause as Error).message, 'changed my mind');

        const waiting = new AbortController();
        const p = rejection(client.request({ path: '/wait', signal: waiting.signal }));
        await waitSeen.promise;
        waiting.abort();
        assert.equal((await p).code, 'ERR_ABORTED');
        await once(state.connections[0].socket, 'close');

        const reading = new AbortController();
        const res = await client.request({ path: '/body', signal: reading.signal });
        await once(res.body, 'readable');
        reading.abort();
        const [err] = await once(res.body, 'error');
        assert.equal((err as { code: string }).code, 'ERR_ABORTED');
        await once(state.connections[1].socket, 'close');
      } finally {
        client.destroy();
      }
    });
  });

  test('retry: an idempotent request whose connection closed before any response byte is resent once', async () => {
    await withScripted((conn) => {
      // The first connection closes on its first request, unanswered: the keep-alive race.
      if (conn.index === 0) conn.socket.destroy();
      else conn.socket.write(HELLO);
    }, async (origin, state) => {
      const client = new Client(origin);
      try {
        const res = await client.request();
        assert.equal(await res.body.text(), 'hello');
        assert.equal(state.connections.length, 2);
      } finally {
        client.destroy();
      }
    });
  });

  test('pipelined requests behind a response that closes the connection are resent on a new one', async () => {
    await withScripted((conn, _head, i) => {
      if (conn.index === 0) {
        // Answers only the first of the pipelined requests, says close, and closes.
        if (i === 0) conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfirst');
      } else {
        conn.socket.write(HELLO);
      }
    }, async (origin, state) => {
      const client = new Client(origin, { pipelining: 3, maxConnections: 1 });
      try {
        const got = await Promise.all([1, 2, 3].map(() => client.request().then((r) => r.body.text())));
        assert.deepEqual(got, ['first', 'hello', 'hello']);
        assert.equal(state.connections[0].heads.length, 3, 'all three were pipelined on the first connection');
      } finally {
        client.destroy();
      }
    });
  });

  test('an upload stops (its source is closed) when the server goes away mid-body', async () => {
    let received = 0;
    await withScripted((conn) => {
      conn.socket.on('data', (c) => {
        received += c.length;
        if (received > 256 * 1024) conn.socket.destroy();
      });
    }, async (origin) => {
      const client = new Client(origin);
      const finalized = deferred();
      async function* endless(): AsyncGenerator<Uint8Array> {
        try {
          for (let i = 0; i < 4096; i++) yield Buffer.alloc(64 * 1024);
        } finally {
          finalized.resolve();
        }
      }
      try {
        const err = await rejection(client.request({ method: 'POST', body: endless() }));
        assert.ok(['ERR_SOCKET', 'ERR_CLOSED_BEFORE_RESPONSE'].includes(err.code!), err.code);
        // The source is closed, not left suspended: the generator's finally ran.
        await finalized.promise;
        assert.ok(received < 64 * 1024 * 4096);
      } finally {
        client.destroy();
      }
    });
  });

  test('no retry for a POST: ERR_CLOSED_BEFORE_RESPONSE (or a reset) reaches the caller', async () => {
    await withScripted((conn) => conn.socket.end(), async (origin, state) => {
      const client = new Client(origin);
      try {
        const err = await rejection(client.request({ method: 'POST', body: 'x' }));
        assert.ok(['ERR_CLOSED_BEFORE_RESPONSE', 'ERR_SOCKET'].includes(err.code!), err.code);
        assert.equal(state.connections.length, 1);
      } finally {
        client.destroy();
      }
    });
  });

  test('Expect: 100-continue: a final response before 100 means the body is never sent', async () => {
    let received = '';
    await withScripted((conn) => {
      conn.socket.on('data', (c) => (received += c.toString('latin1')));
      conn.socket.write('HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }, async (origin, state) => {
      const client = new Client(origin, { expectContinueTimeoutMs: 60_000 });
      try {
        const res = await client.request({ method: 'POST', body: 'SECRET-BODY', expectContinue: true });
        assert.equal(res.status, 413);
        await res.body.dump();
        assert.match(state.connections[0].heads[0], /\r\nExpect: 100-continue\r\n/);
        assert.equal(received, '');
        assert.equal(client.connections, 0);
      } finally {
        client.destroy();
      }
    });
  });

  test('connectTimeoutMs: a TLS handshake that never completes', async () => {
    await withScripted(() => {}, async (origin) => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const client = new Client(origin.replace('http:', 'https:'), { connectTimeoutMs: 3_000 });
      try {
        const p = rejection(client.request());
        mock.timers.tick(3_000);
        const err = await p;
        assert.equal(err.code, 'ERR_CONNECT_TIMEOUT');
      } finally {
        mock.timers.reset();
        client.destroy();
      }
    });
  });

  test('idleTimeoutMs closes an idle connection', async () => {
    await withScripted((conn) => conn.socket.write(HELLO), async (origin, state) => {
      mock.timers.enable({ apis: ['setTimeout'] });
      const client = new Client(origin, { idleTimeoutMs: 2_000 });
      try {
        await (await client.request()).body.dump();
        assert.equal(client.connections, 1);
        mock.timers.tick(2_000);
        assert.equal(client.connections, 0);
        await once(state.connections[0].socket, 'close');
      } finally {
        mock.timers.reset();
        client.destroy();
      }
    });
  });
});

