// Tests for src/server/response.ts over real sockets: the OutgoingResponse's onClose callbacks
// and res.destroy() (cutting a response short after earlier pipelined ones, before its head,
// with request bytes or earlier responses still in flight). Moved here from review.test.ts
// (issue #14 item 9); each was a regression found in a review of the server core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;

test('onClose: a throwing callback on the server-completed response is reported, the connection goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (req, res) => {
    if (req.path === '/throw') {
      res.onClose(() => {
        throw new Error('boom in onClose');
      });
      return; // the server ends the response itself (Go's rule), which fires onClose
    }
    res.end('ok');
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET /throw HTTP/1.1\r\nHost: a\r\n\r\n');
    const r1 = await c.readResponse();
    assert.equal(r1.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 0\r\n\r\n`);
    await c.send('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
    const r2 = await c.readResponse();
    assert.equal(r2.body.toString(), 'ok');
    assert.ok(errors.some((e) => (e.err as Error).message === 'boom in onClose'), 'the error reaches onError');
  });
});

test('onClose: a throwing callback when the client leaves does not keep the connection in the server', { timeout: TEST_TIMEOUT_MS }, async () => {
  const gate = deferred();
  const started = deferred();
  const handler: Handler = async (_req, res) => {
    res.onClose(() => {
      throw new Error('boom on close');
    });
    started.resolve();
    await gate.promise;
    res.end('late');
  };
  await withServer(handler, { clock }, async ({ connect, server, errors }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await started.promise;
    // A reset, not a FIN: a half-close would rightly keep the exchange open (RFC 9112 §9.6).
    const gone = new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
    c.socket.resetAndDestroy();
    await gone;
    await until(() => Object.values(server.connectionStates()).every((n) => n === 0), 'the connection to leave the server');
    gate.resolve();
    assert.ok(errors.some((e) => (e.err as Error).message === 'boom on close'), 'the error reaches onError');
  });
});

test('onClose registered after the response ended: a throwing callback is reported, not a crash', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (_req, res) => {
    res.end('x');
    res.onClose(() => {
      throw new Error('late onClose');
    });
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'x');
    await until(() => errors.some((e) => (e.err as Error).message === 'late onClose'), 'the error to reach onError');
  });
});

test('res.destroy(): cuts the response short, after the complete earlier pipelined ones; reports, aborts, closes', { timeout: TEST_TIMEOUT_MS }, async () => {
  const closed = deferred<{ aborted: boolean; writeAfter: boolean }>();
  const handler: Handler = async (req, res) => {
    if (req.path === '/a') {
      res.end('a');
      return;
    }
    res.headers.set('Content-Type', 'text/plain');
    res.write('part');
    await new Promise((r) => setImmediate(r));
    res.onClose(() => closed.resolve({ aborted: req.signal.aborted, writeAfter: res.write('more') }));
    res.destroy(new Error('upstream broke'));
    res.end('never'); // dropped: the connection is gone
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n');
    const got = (await c.readToEnd()).toString('latin1');
    assert.equal(
      got,
      `HTTP/1.1 200 OK\r\n${D}Content-Length: 1\r\n\r\na` +
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${D}Transfer-Encoding: chunked\r\n\r\n4\r\npart\r\n`,
      'the second response stops mid-body: no last chunk',
    );
    assert.deepEqual(await closed.promise, { aborted: true, writeAfter: false });
    await until(() => errors.length > 0, 'the error to be reported');
    assert.equal(errors[0]!.context, 'response destroyed');
    assert.equal((errors[0]!.err as Error).message, 'upstream broke');
  });
});

test('res.destroy() before the head: the client gets no response, only the close; other clients go on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (req, res) => {
    if (req.path === '/drop') res.destroy();
    else res.end('fine');
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const dropped = await connect();
    const other = await connect();
    await dropped.send('GET /drop HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await dropped.readToEnd()).length, 0);
    await other.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await other.readResponse()).body.toString(), 'fine');
    assert.deepEqual(errors, [], 'no error given, nothing reported');
  });
});

test('res.destroy() with request bytes still arriving: earlier responses are read in full, not lost to a reset', { timeout: TEST_TIMEOUT_MS }, async () => {
  const destroyed = deferred();
  const handler: Handler = (req, res) => {
    if (req.path === '/ok') res.end('ok');
    else {
      res.destroy(); // the body is never read
      destroyed.resolve();
    }
  };
  await withServer(handler, { clock, lingerMs: 500 }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 900000\r\n\r\n');
    await c.send(Buffer.alloc(200_000, 0x61)); // part of the body, more than the server reads before it answers
    await destroyed.promise; // with most of those bytes still unread by the server
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(all, `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\nok`);
    assert.equal(c.error, null, 'a normal close, not a reset');
  });
});

test('res.destroy() with earlier responses still buffered in the socket: they are sent in full first', { timeout: TEST_TIMEOUT_MS }, async () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0x62);
  const bigHandedOver = deferred();
  const handler: Handler = (req, res) => {
    if (req.path === '/big') {
      res.end(big);
      bigHandedOver.resolve();
    } else res.destroy();
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    c.socket.pause(); // the client does not read yet: the 4 MiB waits in the server's socket buffer
    await c.send('GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /gone HTTP/1.1\r\nHost: a\r\n\r\n');
    // The whole 4 MiB is with the socket, far more than the client's unread buffers hold: /gone's
    // destroy comes while most of it is still buffered on the server's side.
    await bigHandedOver.promise;
    c.socket.resume();
    const res = await c.readResponse();
    assert.equal(res.body.length, big.length);
    await c.readToEnd();
    assert.equal(c.error, null);
  });
});

test('res.destroy(err) after the client left still reports err', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = async (req, res) => {
    res.write('part');
    await new Promise((r) => req.signal.addEventListener('abort', r, { once: true }));
    res.destroy(new Error('too late'));
  };
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => c.buffered.length > 0, 'the head');
    c.socket.destroy();
    await until(() => errors.some((e) => e.context === 'response destroyed'), 'the error to be reported');
    assert.equal((errors.find((e) => e.context === 'response destroyed')!.err as Error).message, 'too late');
  });
});
