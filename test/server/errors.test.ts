// Tests for error handling in src/server/connection.ts over real sockets: handler failures,
// protocol errors, body limits, unread bodies, client resets (issue #3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadTooLargeError } from '../../src/wire/errors.js';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, RawClient, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
const INTERNAL_500 = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 26\r\n\r\n500 Internal Server Error\n`;
/** A marker put in hostile requests: it must never come back. */
const MARK = '<script>MARK</script>';

/** The exact bytes of a protocol error answered before any handler ran. */
function protocolError(status: number, reason: string): string {
  const body = `${status} ${reason}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n${D}\r\n${body}`
  );
}

const handlerFailures: Array<{ name: string; handler: Handler }> = [
  {
    name: 'throws synchronously',
    handler: () => {
      throw new Error(`secret detail ${MARK}`);
    },
  },
  {
    name: 'rejects',
    handler: async () => {
      await Promise.resolve();
      throw new Error(`secret detail ${MARK}`);
    },
  },
  {
    name: 'throws a non-Error value',
    handler: () => {
      throw `secret detail ${MARK}`;
    },
  },
  {
    name: 'rejects after setting headers and status',
    handler: async (_req, res) => {
      res.status = 201;
      res.headers.set('X-Half-Done', '1');
      await Promise.resolve();
      throw new Error('secret detail');
    },
  },
];

for (const row of handlerFailures) {
  test(`a handler that ${row.name} gives a 500 with no detail, and the connection survives`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const handler: Handler = (req, res) => (req.path === '/ok' ? res.end('fine') : row.handler(req, res));
    await withServer(handler, { clock }, async ({ connect, errors }) => {
      const c = await connect();
      await c.send('GET /boom HTTP/1.1\r\nHost: a\r\n\r\n');
      const res = await c.readResponse();
      assert.equal(res.raw.toString('latin1'), INTERNAL_500);
      assert.equal(errors.length, 1, 'logged through onError');
      assert.equal(errors[0].context, 'handler failed');
      await c.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await c.readResponse()).body.toString(), 'fine');
    });
  });
}

test('a handler that throws after the head was sent: that connection is destroyed, others and the process survive', { timeout: TEST_TIMEOUT_MS }, async () => {
  const other = deferred();
  const handler: Handler = async (req, res) => {
    if (req.path === '/other') {
      await other.promise;
      return res.end('other fine');
    }
    res.write('partial');
    await Promise.resolve();
    throw new Error('mid-stream failure');
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const bystander = await connect();
    await bystander.send('GET /other HTTP/1.1\r\nHost: a\r\n\r\n');
    const c = await connect();
    await c.send('GET /boom HTTP/1.1\r\nHost: a\r\n\r\n');
    const all = (await c.readToEnd()).toString('latin1');
    // The 200 head and the chunk may have left; the last-chunk never does, so the client sees an incomplete body.
    assert.ok(all.startsWith('HTTP/1.1 200 OK\r\n'), JSON.stringify(all));
    assert.ok(!all.endsWith('0\r\n\r\n'), JSON.stringify(all));
    assert.ok(!all.includes('mid-stream'));
    assert.equal(errors.length, 1);
    other.resolve();
    assert.equal((await bystander.readResponse()).body.toString(), 'other fine');
    const fresh = await connect();
    await fresh.send('GET /other HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await fresh.readResponse()).body.toString(), 'other fine');
  });
});

const protocolRows: Array<{ name: string; input: string; want: string; options?: object }> = [
  { name: 'garbage request line', input: `${MARK}\r\n\r\n`, want: protocolError(400, 'Bad Request') },
  { name: 'bare LF line ends', input: `GET / HTTP/1.1\nHost: a\n\n`, want: protocolError(400, 'Bad Request') },
  { name: 'missing Host on HTTP/1.1', input: 'GET / HTTP/1.1\r\n\r\n', want: protocolError(400, 'Bad Request') },
  { name: 'field line without a colon', input: `GET / HTTP/1.1\r\nHost: a\r\n${MARK}\r\n\r\n`, want: protocolError(400, 'Bad Request') },
  { name: 'space before the colon', input: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', want: protocolError(400, 'Bad Request') },
  { name: 'obs-fold', input: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', want: protocolError(400, 'Bad Request') },
  {
    name: 'Content-Length with Transfer-Encoding (smuggling shape, RFC 9112 §6.1)',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    want: protocolError(400, 'Bad Request'),
  },
  {
    name: 'two different Content-Lengths',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    want: protocolError(400, 'Bad Request'),
  },
  { name: 'a bad Content-Length', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', want: protocolError(400, 'Bad Request') },
  {
    name: 'request line over maxRequestLineBytes: 414',
    input: `GET /${'a'.repeat(300)}${MARK} HTTP/1.1\r\nHost: a\r\n\r\n`,
    want: protocolError(414, 'URI Too Long'),
    options: { maxRequestLineBytes: 256 },
  },
  {
    name: 'header section over maxHeaderBytes: 431',
    input: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(600)}${MARK}\r\n\r\n`,
    want: protocolError(431, 'Request Header Fields Too Large'),
    options: { maxHeaderBytes: 512 },
  },
  {
    name: 'more fields than maxHeaderCount: 431',
    input: `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: 1\r\n'.repeat(5)}\r\n`,
    want: protocolError(431, 'Request Header Fields Too Large'),
    options: { maxHeaderCount: 4 },
  },
  {
    name: 'unknown transfer coding: 501 (RFC 9112 §6.1)',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    want: protocolError(501, 'Not Implemented'),
  },
  { name: 'HTTP/2.0 on the wire: 505', input: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', want: protocolError(505, 'HTTP Version Not Supported') },
  {
    name: 'Content-Length over maxBodyBytes: 413 before any body byte',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n',
    want: protocolError(413, 'Content Too Large'),
    options: { maxBodyBytes: 1024 },
  },
  {
    // The head went out before the unread body was skipped and found bad: no Connection: close
    // could be promised, but the connection still closes and /after is never taken as a request.
    name: 'a bad chunk size in a body nobody reads',
    input: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    want: `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\nok`,
  },
];

for (const row of protocolRows) {
  test(`protocol error: ${row.name}`, { timeout: TEST_TIMEOUT_MS }, async () => {
    let calls = 0;
    const handler: Handler = (_req, res) => {
      calls++;
      res.end('ok');
    };
    await withServer(handler, { clock, ...row.options }, async ({ connect, errors }) => {
      const c = await connect();
      // A valid request pipelined behind must not be answered: the connection is done.
      await c.send(`${row.input}GET /after HTTP/1.1\r\nHost: a\r\n\r\n`);
      const all = (await c.readToEnd()).toString('latin1');
      assert.equal(all, row.want);
      assert.ok(!all.includes('MARK'), 'request bytes are never echoed');
      assert.ok(!/\bat \S+:\d+/.test(all), 'no stack trace');
      assert.ok(calls <= 1);
      assert.equal(errors.length, 0, 'a client error is not a server error');
    });
  });
}

test('a chunked body over maxBodyBytes: the reading handler fails with 413 mid-stream, then close', { timeout: TEST_TIMEOUT_MS }, async () => {
  const readErrors: unknown[] = [];
  const handler: Handler = async (req, res) => {
    try {
      await req.bytes();
    } catch (err) {
      readErrors.push(err);
      throw err;
    }
    res.end('read it all');
  };
  await withServer(handler, { clock, maxBodyBytes: 1000 }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    const piece = `200\r\n${'x'.repeat(0x200)}\r\n`;
    await c.send(piece); // 512 bytes: fine
    await c.send(piece); // 1024 bytes: over the limit
    const res = await c.readResponse();
    assert.equal(
      res.raw.toString('latin1'),
      `HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 22\r\nConnection: close\r\n\r\n413 Content Too Large\n`,
    );
    assert.equal((await c.readToEnd()).length, 0);
    assert.equal((readErrors[0] as { code?: string }).code, 'ERR_BODY_TOO_LARGE');
  });
});

test('a body exactly at maxBodyBytes is accepted (Content-Length and chunked)', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (req, res) => res.end(String((await req.bytes()).length)), { clock, maxBodyBytes: 1000 }, async ({ connect }) => {
    const c = await connect();
    await c.send(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n${'y'.repeat(1000)}`);
    assert.equal((await c.readResponse()).body.toString(), '1000');
    await c.send(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${'y'.repeat(1000)}\r\n0\r\n\r\n`);
    assert.equal((await c.readResponse()).body.toString(), '1000');
  });
});

test('a handler that does not read the body: the next pipelined request is still served', { timeout: TEST_TIMEOUT_MS }, async () => {
  const seen: string[] = [];
  const handler: Handler = (req, res) => {
    seen.push(`${req.method} ${req.path}`);
    res.end(req.path);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send(
      'POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nGET /evil H' +
        'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n' +
        'GET /last HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push((await c.readResponse()).body.toString());
    assert.deepEqual(bodies, ['/cl', '/chunked', '/last']);
    assert.deepEqual(seen, ['POST /cl', 'POST /chunked', 'GET /last'], 'body bytes were never taken as a request');
  });
});

test('an unread body that arrives after the response is skipped, then the next request is served', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((req, res) => res.end(req.path), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST /first HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), '/first');
    await c.send('abcdef');
    await c.send('GET /second HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), '/second');
  });
});

test('a client that resets mid-body: the body read rejects, req.signal aborts, the server goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const reading = deferred();
  const outcome = deferred<{ readError: unknown; aborted: boolean }>();
  const handler: Handler = async (req, res) => {
    if (req.path === '/ok') return res.end('fine');
    const signal = req.signal;
    const abortedEvent = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    let readError: unknown;
    try {
      const iter = req.body[Symbol.asyncIterator]();
      await iter.next(); // the first piece
      reading.resolve();
      for (;;) if ((await iter.next()).done) break;
    } catch (err) {
      readError = err;
    }
    await abortedEvent;
    outcome.resolve({ readError, aborted: signal.aborted });
    res.end('unreachable'); // dropped: the connection is gone
  };
  await withServer(handler, { clock }, async ({ connect, server, errors }) => {
    const c = await connect();
    await c.send('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n' + 'z'.repeat(1000));
    await reading.promise;
    c.socket.resetAndDestroy();
    const { readError, aborted } = await outcome.promise;
    assert.ok(readError instanceof Error, 'the read rejected');
    assert.equal((readError as { code?: string }).code, 'ERR_REQUEST_ABORTED');
    assert.equal(aborted, true);
    await until(() => server.connectionStates().active === 0 && server.connectionStates().closing === 0, 'the connection to go');
    assert.equal(errors.length, 0, 'an abort is not a handler failure');
    const d = await connect();
    await d.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await d.readResponse()).body.toString(), 'fine');
  });
});

for (const how of ['FIN', 'RST'] as const) {
  test(`a client that goes away (${how}) while the handler works: signal aborts, the connection is cleaned up`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const started = deferred();
    const done = deferred<{ aborted: boolean; closed: boolean; writeResult: boolean }>();
    const handler: Handler = async (req, res) => {
      if (req.path === '/ok') return res.end('fine');
      started.resolve();
      await new Promise<void>((r) => req.signal.addEventListener('abort', () => r(), { once: true }));
      if (how === 'RST') await new Promise<void>((r) => res.onClose(r));
      const writeResult = res.write('into the void');
      done.resolve({ aborted: req.signal.aborted, closed: res.closed, writeResult });
      res.end();
    };
    await withServer(handler, { clock }, async ({ port, server }) => {
      const c = await RawClient.connect(port);
      await c.send('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
      await started.promise;
      if (how === 'FIN') c.socket.destroy();
      else c.socket.resetAndDestroy();
      const got = await done.promise;
      assert.equal(got.aborted, true);
      // A FIN is a half-close: the response may still be sent (RFC 9112 §9.6). A reset kills the socket: writes are dropped.
      if (how === 'RST') assert.deepEqual(got, { aborted: true, closed: true, writeResult: false });
      await until(() => Object.values(server.connectionStates()).every((n) => n === 0), 'the connection to be gone');
      const d = await RawClient.connect(port);
      await d.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await d.readResponse()).body.toString(), 'fine');
      await d.close();
    });
  });
}

test('onClose callbacks run once, when the response completes', { timeout: TEST_TIMEOUT_MS }, async () => {
  const calls: string[] = [];
  const handler: Handler = (_req, res) => {
    res.onClose(() => calls.push('a'));
    res.onClose(() => calls.push('b'));
    res.end('x');
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.readResponse();
    await c.close();
    assert.deepEqual(calls, ['a', 'b']);
  });
});

test('a ProtocolError thrown by a handler becomes its status with Connection: close; a request pipelined behind it is not answered (issue #14)', { timeout: TEST_TIMEOUT_MS }, async () => {
  // It used to be a #mustClose flag; the error response now carries Connection: close as a
  // field the handler could have set, and the server's own field replaces it.
  const handler: Handler = () => {
    throw new PayloadTooLargeError(10);
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n');
    const rest = await c.readToEnd();
    assert.equal(
      rest.toString('latin1'),
      `HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n${D}Content-Length: 22\r\nConnection: close\r\n\r\n413 Content Too Large\n`,
    );
    assert.equal(errors.length, 0, 'a protocol error is the client\'s, not a handler failure');
  });
});

test('a request without a body reads as empty even once its connection is closing (issue #14)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const read = deferred<string>();
  const handler: Handler = async (req, res) => {
    res.end('bye'); // Connection: close below: the connection starts closing here
    read.resolve(await req.text());
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'bye');
    assert.equal(await read.promise, '');
  });
});
