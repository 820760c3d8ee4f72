// Tests for src/server/connection.ts: keep-alive, pipelining, per-connection limits and timeouts (issue #3).
// Timeouts use short limits and a fast sweep (`timerResolutionMs`), never long sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, RawClient, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
/** Timeouts the tests are not about: far longer than any test runs. */
const LONG_MS = 60_000;

test('keep-alive: several requests on one socket, each answered in turn (RFC 9112 §9.3)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const ports: number[] = [];
  const handler: Handler = (req, res) => {
    ports.push(req.remotePort);
    res.end(req.path);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    for (let i = 0; i < 5; i++) {
      await c.send(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      const res = await c.readResponse();
      assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 3\r\n\r\n/r${i}`);
    }
    assert.equal(new Set(ports).size, 1, 'one connection served all of them');
    assert.equal(ports[0], c.socket.localPort);
  });
});

test('pipelining: async handlers released in reverse order still answer in request order (RFC 9112 §9.3.2)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  for (const p of ['/a', '/b', '/c', '/d']) gates.set(p, deferred());
  const started: string[] = [];
  const handler: Handler = async (req, res) => {
    started.push(req.path);
    await gates.get(req.path)!.promise;
    if (req.method === 'POST') res.end(`${req.path}:${await req.text()}`);
    else res.end(req.path);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send(
      'GET /a HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /c HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    );
    // Release the last first: /d, /c, /b finish (or would finish) before /a.
    for (const p of ['/d', '/c', '/b', '/a']) gates.get(p)!.resolve();
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) bodies.push((await c.readResponse()).body.toString());
    assert.deepEqual(bodies, ['/a', '/b:hello', '/c', '/d:hi']);
    assert.deepEqual(started, ['/a', '/b', '/c', '/d']);
  });
});

test('pipelining: handlers with different delays, responses byte-exact and in order', { timeout: TEST_TIMEOUT_MS }, async () => {
  const delays: Record<string, number> = { '/slow': 60, '/mid': 20, '/fast': 0 };
  const handler: Handler = async (req, res) => {
    await new Promise((r) => setTimeout(r, delays[req.path]));
    res.write(req.path);
    res.end();
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    const order = ['/slow', '/fast', '/mid', '/fast'];
    await c.send(order.map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''));
    for (const p of order) {
      const res = await c.readResponse();
      const size = p.length.toString(16);
      assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n\r\n${size}\r\n${p}\r\n0\r\n\r\n`);
    }
  });
});

test('pipelining: a request delivered byte by byte after a pipelined batch', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((req, res) => res.end(req.path), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    for (const ch of 'GET /3 HTTP/1.1\r\nHost: a\r\n\r\n') await c.send(ch);
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await c.readResponse()).body.toString());
    assert.deepEqual(bodies, ['/1', '/2', '/3']);
  });
});

test('pipelining: a flood of 2,000 requests with a small maxBufferedBytes is answered in full, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
  const COUNT = 2000;
  await withServer((req, res) => res.end(req.path), { clock, maxBufferedBytes: 1024 }, async ({ connect }) => {
    const c = await connect();
    let batch = '';
    for (let i = 0; i < COUNT; i++) batch += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    void c.send(batch); // resolves once the kernel took it all, which needs the server to read on
    for (let i = 0; i < COUNT; i++) {
      const res = await c.readResponse();
      assert.equal(res.body.toString(), `/${i}`);
    }
  });
});

test('maxRequestsPerConnection: the last response says Connection: close, then the server closes', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((req, res) => res.end(req.path), { clock, maxRequestsPerConnection: 3 }, async ({ connect }) => {
    const c = await connect();
    // Pipelined: the 4th request is never answered on this connection.
    await c.send([1, 2, 3, 4].map((i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''));
    for (const i of [1, 2]) {
      const res = await c.readResponse();
      assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\n/${i}`);
    }
    const last = await c.readResponse();
    assert.equal(last.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\nConnection: close\r\n\r\n/3`);
    assert.equal((await c.readToEnd()).length, 0, 'the 4th request is not answered');
  });
});

test('Connection: close in a pipelined request: requests after it are not answered (RFC 9112 §9.6)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const seen: string[] = [];
  const handler: Handler = (req, res) => {
    seen.push(req.path);
    res.end(req.path);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), '/1');
    const last = await c.readResponse();
    assert.equal(last.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\nConnection: close\r\n\r\n/2`);
    assert.equal((await c.readToEnd()).length, 0);
    assert.deepEqual(seen, ['/1', '/2']);
  });
});

test('idle timeout: an idle keep-alive connection is closed without a response', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { idleTimeoutMs: 150, headersTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  await withServer((_req, res) => res.end('ok'), opts, async ({ connect, server }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.readResponse();
    const t0 = Date.now();
    assert.equal((await c.readToEnd()).length, 0, 'closed silently (RFC 9112 §9.5)');
    assert.ok(Date.now() - t0 >= 100, 'not before the idle timeout');
    await c.waitClosed();
    await until(() => server.connectionStates().closing === 0, 'the server to drop the connection');
    assert.deepEqual(server.connectionStates(), { new: 0, active: 0, idle: 0, closing: 0, closed: 0, upgraded: 0 });
  });
});

test('idle timeout with an injected clock: kept below the deadline, closed past it', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  const opts = { clock: () => now, idleTimeoutMs: 1000, timerResolutionMs: 5 };
  await withServer((_req, res) => res.end('ok'), opts, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.readResponse();
    now += 999;
    await new Promise((r) => setTimeout(r, 30)); // a few sweeps see the clock below the deadline
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'ok', 'still open just before the deadline');
    now += 1001;
    assert.equal((await c.readToEnd()).length, 0);
  });
});

test('idle timeout does not cut a request whose handler takes longer than it', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { idleTimeoutMs: 50, timerResolutionMs: 10 };
  const handler: Handler = async (_req, res) => {
    await new Promise((r) => setTimeout(r, 200));
    res.end('late but fine');
  };
  await withServer(handler, opts, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'late but fine');
  });
});

test('headersTimeoutMs: a slowloris client dripping its head gets 408, then close (RFC 9110 §15.5.9)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { clock, headersTimeoutMs: 150, idleTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  let calls = 0;
  await withServer(() => void calls++, { ...opts, clock: Date.now }, async ({ connect }) => {
    const c = await connect();
    const drip = 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ' + 'a'.repeat(1000);
    let i = 0;
    // One byte every 10 ms: each byte must not push the deadline back, or this would never end.
    const timer = setInterval(() => {
      if (i < drip.length && !c.ended) c.socket.write(drip[i++]);
    }, 10);
    try {
      const all = (await c.readToEnd()).toString('latin1');
      assert.match(
        all,
        /^HTTP\/1\.1 408 Request Timeout\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\nDate: [^\r\n]+ GMT\r\n\r\n408 Request Timeout\n$/,
      );
      assert.ok(i < drip.length, 'the timeout fired before the head was complete');
    } finally {
      clearInterval(timer);
    }
    assert.equal(calls, 0);
  });
});

test('headersTimeoutMs with an injected clock: exact 408 bytes', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  const opts = { clock: () => now, headersTimeoutMs: 1000, timerResolutionMs: 5 };
  await withServer((_req, res) => res.end(), opts, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHo');
    now += 1000;
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(
      all,
      'HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\n' +
        'Date: Thu, 01 Jan 2026 00:00:01 GMT\r\n\r\n408 Request Timeout\n',
    );
  });
});

test('headersTimeoutMs also bounds the head of a second request on a kept-alive connection', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { headersTimeoutMs: 150, idleTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  await withServer((_req, res) => res.end('one'), opts, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'one');
    const second = await c.readResponse();
    assert.equal(second.status, 408);
    assert.equal(second.headers.connection, 'close');
    assert.equal((await c.readToEnd()).length, 0);
  });
});

test('a client that connects and never sends a byte is closed silently after headersTimeoutMs', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { headersTimeoutMs: 150, idleTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  await withServer((_req, res) => res.end(), opts, async ({ connect, server }) => {
    const c = await connect();
    await c.waitFor(() => server.connectionStates().new === 1, 'the server to see the connection');
    assert.equal((await c.readToEnd()).length, 0, 'no 408 for a connection that never spoke');
  });
});

test('bodyTimeoutMs: a stalled body gives the reading handler a 408 and the connection closes', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { clock, bodyTimeoutMs: 150, idleTimeoutMs: LONG_MS, headersTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  const readErrors: unknown[] = [];
  const handler: Handler = async (req, res) => {
    try {
      res.end(await req.text());
    } catch (err) {
      readErrors.push(err);
      throw err;
    }
  };
  await withServer(handler, { ...opts, clock: Date.now }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
    const res = await c.readResponse();
    assert.match(
      res.raw.toString('latin1'),
      /^HTTP\/1\.1 408 Request Timeout\r\nContent-Type: text\/plain; charset=utf-8\r\nDate: [^\r]+\r\nContent-Length: 20\r\nConnection: close\r\n\r\n408 Request Timeout\n$/,
    );
    assert.equal((await c.readToEnd()).length, 0);
    assert.equal(readErrors.length, 1);
    assert.equal((readErrors[0] as { code?: string }).code, 'ERR_REQUEST_TIMEOUT');
    assert.equal(errors.length, 0, 'a timeout is the client\'s doing, not logged as a handler failure');
  });
});

test('bodyTimeoutMs: a stalled chunked body times out too', { timeout: TEST_TIMEOUT_MS }, async () => {
  const opts = { bodyTimeoutMs: 150, idleTimeoutMs: LONG_MS, headersTimeoutMs: LONG_MS, timerResolutionMs: 20 };
  await withServer(async (req, res) => res.end(await req.text()), opts, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab');
    const res = await c.readResponse();
    assert.equal(res.status, 408);
    assert.equal((await c.readToEnd()).length, 0);
  });
});

test('lingering close: a 400 is received in full while the client keeps sending garbage (RFC 9112 §9.6)', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((_req, res) => res.end(), { clock, lingerMs: 2000, timerResolutionMs: 20 }, async ({ connect }) => {
    const c = await connect();
    const garbage = Buffer.alloc(64 * 1024, 'x');
    const want = `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n${D}\r\n400 Bad Request\n`;
    // The client does not read while it sends: the 400 waits in its kernel buffer. A server
    // that closed at once, with our garbage unread, would send a reset that destroys it.
    c.socket.pause();
    c.socket.on('error', () => {});
    // A bad field line (no colon), then far more than the socket buffers hold.
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n');
    let sent = 0;
    const stopAt = Date.now() + 300;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (!c.socket.destroyed && Date.now() < stopAt) {
          sent += garbage.length;
          if (!c.socket.write(garbage)) {
            c.socket.removeListener('drain', pump); // the timer may have pumped already: one listener at most
            c.socket.once('drain', pump);
            setTimeout(pump, 20).unref(); // the server may stop reading: do not wait on drain forever
            return;
          }
        }
        resolve();
      };
      pump();
    });
    c.socket.resume();
    await c.waitFor(() => c.buffered.length >= want.length, 'the whole 400');
    assert.equal(c.buffered.subarray(0, want.length).toString('latin1'), want);
    assert.ok(sent > 64 * 1024, 'the client was still sending after the error');
  });
});

test('a client that sends FIN during its request gets the response, then the server closes at once (RFC 9112 §9.6)', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The FIN arrives while the handler runs; after its response the connection must not sit
  // idle past EOF until idleTimeoutMs (no later read reports the FIN again).
  const handler: Handler = async (req, res) => {
    if (!req.signal.aborted) await new Promise((resolve) => req.signal.addEventListener('abort', resolve, { once: true }));
    res.end('answered');
  };
  await withServer(handler, { clock, idleTimeoutMs: LONG_MS }, async ({ port, server }) => {
    const c = await RawClient.connect(port, true);
    try {
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      c.socket.end();
      assert.equal((await c.readResponse()).body.toString(), 'answered');
      assert.equal((await c.readToEnd()).length, 0);
      await until(() => server.connectionStates().idle === 0, 'no idle connection left');
    } finally {
      await c.close();
    }
  });
});
