// Regression tests for src/server/connection.ts, response.ts and server.ts: bugs found in a review of
// the server core (onClose errors, body reads after the response, null handler results, double close,
// pipelined output lost on a handler failure). Every test runs over real sockets.
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

test('body read after end() while the body is still arriving: the read fails, the next request is answered', { timeout: TEST_TIMEOUT_MS }, async () => {
  const outcome = deferred<string>();
  const handler: Handler = async (req, res) => {
    if (req.path !== '/early') {
      res.end(`next:${await req.text()}`);
      return;
    }
    res.end('early');
    try {
      outcome.resolve(`read:${await req.text()}`);
    } catch (err) {
      outcome.resolve(`error:${(err as Error).message}`);
    }
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345');
    const r1 = await c.readResponse();
    assert.equal(r1.body.toString(), 'early');
    const got = await outcome.promise.then(
      (v) => v,
      () => 'unreachable',
    );
    // The read can't be given the bytes the server is discarding: it must fail, not hang or steal.
    assert.match(got, /^error:/);
    await c.send('67890POST /next HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz');
    const r2 = await c.readResponse();
    assert.equal(r2.body.toString(), 'next:xyz');
  });
});

test('body read after end() by a pipelined request does not steal the next request\'s body', { timeout: TEST_TIMEOUT_MS }, async () => {
  const bDispatched = deferred();
  const aRead = deferred<string>();
  const handler: Handler = async (req, res) => {
    if (req.path === '/a') {
      res.end('a');
      await bDispatched.promise;
      try {
        aRead.resolve(`read:${await req.text()}`);
      } catch (err) {
        aRead.resolve(`error:${(err as Error).message}`);
      }
      return;
    }
    bDispatched.resolve();
    await aRead.promise;
    res.end(`b:${await req.text()}`);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz');
    assert.equal((await c.readResponse()).body.toString(), 'a');
    assert.equal((await c.readResponse()).body.toString(), 'b:xyz');
    assert.match(await aRead.promise, /^error:/);
  });
});

test('a handler returning null (plain JS) gets an empty response, not a crash', { timeout: TEST_TIMEOUT_MS }, async () => {
  const nullReturning = (_req: Parameters<Handler>[0], res: Parameters<Handler>[1]): null => {
    res.status = 204;
    return null;
  };
  const handler = nullReturning as unknown as Handler;
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const r = await c.readResponse();
    assert.equal(r.raw.toString('latin1'), `HTTP/1.1 204 No Content\r\n${D}\r\n`);
  });
});

test('close() called twice: both calls resolve once the request in flight is answered', { timeout: TEST_TIMEOUT_MS }, async () => {
  const gate = deferred();
  const started = deferred();
  const handler: Handler = async (_req, res) => {
    started.resolve();
    await gate.promise;
    res.end('done');
  };
  await withServer(handler, { clock }, async ({ connect, server }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await started.promise;
    const shutdownMs = 10_000;
    let firstDone = false;
    let secondDone = false;
    const p1 = server.close(shutdownMs).then(() => (firstDone = true));
    const p2 = server.close(shutdownMs).then(() => (secondDone = true));
    gate.resolve();
    const r = await c.readResponse();
    assert.equal(r.body.toString(), 'done');
    await until(() => firstDone && secondDone, 'both close() calls to resolve', 2000);
    await Promise.all([p1, p2]);
  });
});

test('pipelining: a later handler failing after its head leaves earlier batched responses on the wire', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = (req, res) => {
    if (req.path === '/a') {
      res.end('a');
      return;
    }
    res.write('partial');
    throw new Error('fails after the head');
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n');
    const r1 = await c.readResponse();
    assert.equal(r1.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 1\r\n\r\na`);
  });
});

test('a request without a body read after end() still reads as empty', { timeout: TEST_TIMEOUT_MS }, async () => {
  const got = deferred<string>();
  const handler: Handler = async (req, res) => {
    res.end('x');
    got.resolve(await req.text().catch((err: Error) => `error:${err.message}`));
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'x');
    assert.equal(await got.promise, '');
  });
});

test('serveSocket() without listen(): timeouts still apply (408 for a stalled head)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { Server } = await import('../../src/server/server.js');
  const { RawClient } = await import('./helpers.js');
  const net = await import('node:net');
  const server = new Server((_req, res) => res.end('ok'), { clock: Date.now, headersTimeoutMs: 50, timerResolutionMs: 10, onError: () => {} });
  const outer = net.createServer({ allowHalfOpen: true }, (s) => server.serveSocket(s));
  await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', () => resolve()));
  const c = await RawClient.connect((outer.address() as import('node:net').AddressInfo).port);
  try {
    await c.send('GET / HTTP/1.1\r\nHost:');
    const r = await c.readResponse();
    assert.equal(r.status, 408);
  } finally {
    await c.close();
    await server.close(100);
    await new Promise<void>((resolve) => outer.close(() => resolve()));
  }
});

test('bodyTimeoutMs bounds each wait for body bytes, not the handler\'s time between reads', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  let clockReads = 0;
  const fakeClock = (): number => {
    clockReads++;
    return now;
  };
  const reading = deferred();
  const firstChunk = deferred();
  const gate = deferred();
  const handler: Handler = async (req, res) => {
    const parts: string[] = [];
    reading.resolve(); // the loop's first read runs at once and finds no body byte yet: it waits
    for await (const chunk of req.body) {
      parts.push(chunk.toString());
      if (parts.length === 1) {
        firstChunk.resolve();
        await gate.promise; // a slow consumer: the client is not late
      }
    }
    res.end(parts.join(''));
  };
  const bodyTimeoutMs = 1000;
  await withServer(handler, { clock: fakeClock, bodyTimeoutMs, timerResolutionMs: 5 }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n');
    await reading.promise;
    await c.send('abc');
    await firstChunk.promise;
    now += 10 * bodyTimeoutMs; // the handler takes long over the first chunk
    const seen = clockReads;
    await until(() => clockReads > seen + 3, 'a few timeout sweeps');
    gate.resolve();
    await c.send('def');
    const r = await c.readResponse();
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'abcdef');
  });
});

test('a handler returning a thenable whose then() throws gets a 500, not a crash', { timeout: TEST_TIMEOUT_MS }, async () => {
  const thenable = {
    then(): never {
      throw new Error('bad thenable');
    },
  };
  const handler = (() => thenable) as unknown as Handler;
  await withServer(handler, { clock }, async ({ connect, errors }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const r = await c.readResponse();
    assert.equal(r.status, 500);
    assert.ok(errors.some((e) => (e.err as Error).message === 'bad thenable'));
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

test('idleTimeoutMs counts from the end of a long response, not from when its head was built', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  let clockReads = 0;
  const fakeClock = (): number => {
    clockReads++;
    return now;
  };
  const headSent = deferred();
  const gate = deferred();
  const handler: Handler = async (req, res) => {
    if (req.path === '/stream') {
      res.write('a');
      headSent.resolve();
      await gate.promise; // a response streamed for longer than idleTimeoutMs
      res.end('b');
      return;
    }
    res.end('next');
  };
  const idleTimeoutMs = 1000;
  await withServer(handler, { clock: fakeClock, idleTimeoutMs, timerResolutionMs: 5 }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n');
    await headSent.promise;
    now += 10 * idleTimeoutMs;
    gate.resolve();
    assert.equal((await c.readResponse()).body.toString(), 'ab');
    const seen = clockReads;
    await until(() => clockReads > seen + 3, 'a few timeout sweeps');
    assert.equal(c.ended, false, 'the connection was just used: it is not idle yet');
    await c.send('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'next');
  });
});

/**
 * Runs `fn` with console.error captured and process-level error events watched: what a
 * failing onError may print, and any uncaught exception or unhandled rejection it causes.
 */
async function watchingProcess(fn: () => Promise<void>): Promise<{ logged: unknown[][]; escaped: unknown[] }> {
  const logged: unknown[][] = [];
  const escaped: unknown[] = [];
  const realConsoleError = console.error;
  const onEscape = (err: unknown): void => void escaped.push(err);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    await fn();
    await until(() => logged.length > 0, 'the reporter failure to be logged');
    await new Promise((r) => setImmediate(r));
  } finally {
    console.error = realConsoleError;
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
  return { logged, escaped };
}

test('an onError that throws: the client still gets its 500, the connection and the process go on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = async (req, res) => {
    if (req.path === '/sync') throw new Error('handler boom');
    if (req.path === '/async') {
      await Promise.resolve();
      throw new Error('async boom');
    }
    res.end('ok');
  };
  const onError = (): void => {
    throw new Error('reporter broke');
  };
  const { logged, escaped } = await watchingProcess(() =>
    withServer(handler, { clock: () => FIXED_NOW_MS, onError }, async ({ connect }) => {
      const c = await connect();
      for (const path of ['/sync', '/async', '/fine']) {
        await c.send(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
        const res = await c.readResponse();
        assert.equal(res.status, path === '/fine' ? 200 : 500, path);
      }
    }),
  );
  assert.deepEqual(escaped, []);
  assert.equal(logged.length, 2, 'each reporter failure is written to the console');
  assert.match(String(logged[0]![0]), /onError threw while reporting "handler failed"/);
});

test('an async onError that rejects is caught too: the process goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = () => {
    throw new Error('handler boom');
  };
  const onError = async (): Promise<void> => {
    throw new Error('async reporter broke');
  };
  const { logged, escaped } = await watchingProcess(() =>
    withServer(handler, { clock: () => FIXED_NOW_MS, onError }, async ({ connect }) => {
      const c = await connect();
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await c.readResponse()).status, 500);
    }),
  );
  assert.deepEqual(escaped, []);
  assert.match(String(logged[0]![0]), /onError threw while reporting "handler failed"/);
});

test('Date: a batch of pipelined requests shares the time it started; an awaiting handler and a later batch read the clock again', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  // Each handler "takes" 5 s of the injected clock; /wait also awaits before it responds.
  const handler: Handler = async (req, res) => {
    now += 5_000;
    if (req.path === '/wait') await new Promise((r) => setImmediate(r));
    res.end('x');
  };
  await withServer(handler, { clock: () => now }, async ({ connect }) => {
    const c = await connect();
    const dateOf = async (): Promise<string> => /Date: ([^\r]*)/.exec((await c.readResponse()).raw.toString('latin1'))![1]!;
    await c.send('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(2) + 'GET /wait HTTP/1.1\r\nHost: a\r\n\r\n');
    const dates = [await dateOf(), await dateOf(), await dateOf()];
    assert.deepEqual(dates, ['Thu, 01 Jan 2026 00:00:00 GMT', 'Thu, 01 Jan 2026 00:00:00 GMT', 'Thu, 01 Jan 2026 00:00:15 GMT']);
    await c.send('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(await dateOf(), 'Thu, 01 Jan 2026 00:00:15 GMT', 'a new batch reads the clock when it starts');
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
  const handler: Handler = (req, res) => {
    if (req.path === '/ok') res.end('ok');
    else res.destroy(); // the body is never read
  };
  await withServer(handler, { clock, lingerMs: 500 }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 900000\r\n\r\n');
    await c.send(Buffer.alloc(200_000, 0x61)); // part of the body, more than the server reads before it answers
    await new Promise((r) => setTimeout(r, 100));
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(all, `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\nok`);
    assert.equal(c.error, null, 'a normal close, not a reset');
  });
});

test('res.destroy() with earlier responses still buffered in the socket: they are sent in full first', { timeout: TEST_TIMEOUT_MS }, async () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0x62);
  const handler: Handler = (req, res) => {
    if (req.path === '/big') res.end(big);
    else res.destroy();
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    c.socket.pause(); // the client does not read yet: the 4 MiB waits in the server's socket buffer
    await c.send('GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /gone HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200));
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
