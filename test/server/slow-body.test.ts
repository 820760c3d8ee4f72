// Tests for src/server/connection.ts: total bounds on a request's head, body reads and the
// dropping of an unread body (issue #12 item 6: 10,000 connections trickling 10 bytes every 10 s
// into bodies nobody read kept every new client refused). Time is the injected clock, moved by
// the test; the server's sweep runs every few ms of real time and reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { FIXED_NOW_MS, RawClient, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

/** Timeouts a test is not about: far longer than any test runs. */
const LONG_MS = 60_000;
const REQUEST_TIMEOUT_408 = /^HTTP\/1\.1 408 Request Timeout\r\nContent-Type: text\/plain; charset=utf-8\r\n(Date: [^\r]+\r\n)?Content-Length: 20\r\nConnection: close\r\n(Date: [^\r]+\r\n)?\r\n408 Request Timeout\n$/;

/** A clock the test moves by hand. */
function manualClock(): { clock: () => number; advance: (ms: number) => void } {
  let now = FIXED_NOW_MS;
  return { clock: () => now, advance: (ms) => void (now += ms) };
}

const headCases: Array<{ name: string; before: string }> = [
  { name: 'the first request (timed from the accept)', before: '' },
  { name: 'a keep-alive request (timed from its first byte)', before: 'GET /first HTTP/1.1\r\nHost: a\r\n\r\n' },
];
for (const { name, before } of headCases) {
  test(`headersTimeoutMs is a total bound: a head trickled byte by byte gets 408 on time, ${name}`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { clock, advance } = manualClock();
    const opts = { clock, headersTimeoutMs: 1000, idleTimeoutMs: LONG_MS, timerResolutionMs: 5 };
    await withServer((req, res) => res.end(req.path), opts, async ({ connect, server }) => {
      const c = await connect();
      if (before !== '') {
        await c.send(before);
        assert.equal((await c.readResponse()).body.toString(), '/first');
      }
      await c.send('GET /slow HTTP/1.1\r\n');
      await until(() => server.connectionStates().active === 1, 'the head to be seen');
      // Each piece comes well within 1 s of the one before: only a total bound ends this head.
      for (const piece of ['Host: a\r\n', 'X-1: 1\r\n', 'X-2: 2\r\n']) {
        advance(300);
        await c.send(piece);
      }
      advance(100); // 1,000 ms after the head's first byte; 100 ms after the last one
      assert.match((await c.readToEnd()).toString('latin1'), REQUEST_TIMEOUT_408);
    });
  });
}

/**
 * A handler that reads its body chunk by chunk and reports, each time it asks for more, how
 * many bytes it has: the report comes after the read began, so the wait for bytes has started.
 */
function chunkReader(): { handler: Handler; asked: (received: number) => Promise<void>; errors: unknown[] } {
  let received = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  const errors: unknown[] = [];
  const handler: Handler = async (req, res) => {
    const it = req.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = it.next();
        for (const w of waiters.filter((w) => received >= w.n)) w.resolve();
        waiters = waiters.filter((w) => received < w.n);
        const r = await next;
        if (r.done) break;
        received += r.value.length;
      }
    } catch (err) {
      errors.push(err);
      throw err;
    }
    res.end(`read ${received}`);
  };
  const asked = (n: number): Promise<void> => new Promise((resolve) => waiters.push({ n, resolve }));
  return { handler, asked, errors };
}

test('minBodyBytesPerSecond: a body trickled slower than the minimum rate gets 408, though each gap is short', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { clock, advance } = manualClock();
  // 1 s of grace, then 100 bytes/s: 10 bytes buy 100 ms more.
  const opts = { clock, bodyTimeoutMs: 1000, minBodyBytesPerSecond: 100, headersTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS, timerResolutionMs: 5 };
  const { handler, asked, errors } = chunkReader();
  await withServer(handler, opts, async ({ connect }) => {
    const c = await connect();
    const asking = asked(10);
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(10));
    await asking; // waiting since t0, allowed 1,000 + 100 ms in all
    for (const [i, gap] of [900, 250].entries()) {
      advance(gap);
      const next = asked(20 + i * 10);
      await c.send('x'.repeat(10));
      await next;
    }
    // Waited 1,150 ms for 30 bytes: 1,300 allowed. The last bytes came 150 ms ago, far inside
    // bodyTimeoutMs (1 s per wait), but the total runs out now.
    advance(150);
    const res = await c.readResponse();
    assert.match(res.raw.toString('latin1'), REQUEST_TIMEOUT_408);
    assert.equal((errors[0] as { code?: string }).code, 'ERR_REQUEST_TIMEOUT');
  });
});

test('minBodyBytesPerSecond: a slow body that keeps up the rate is read whole, long past bodyTimeoutMs', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { clock, advance } = manualClock();
  const opts = { clock, bodyTimeoutMs: 1000, minBodyBytesPerSecond: 100, headersTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS, timerResolutionMs: 5 };
  const { handler, asked } = chunkReader();
  await withServer(handler, opts, async ({ connect }) => {
    const c = await connect();
    const asking = asked(0);
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n');
    await asking;
    // 100 bytes every 900 ms: 1 s of allowance gained per 900 ms spent, for 4.5 s.
    for (let sent = 100; sent <= 500; sent += 100) {
      advance(900);
      const next = asked(sent);
      await c.send('x'.repeat(100));
      if (sent < 500) await next;
    }
    assert.equal((await c.readResponse()).body.toString(), 'read 500');
  });
});

/** A handler that answers before reading the body (the server is left to drop it). */
const answersEarly: Handler = (req, res) => res.end(`early ${req.path}`);

const discardCases: Array<{ name: string; head: string; body: string; wantKeepAlive: boolean; wantReused: boolean }> = [
  {
    name: 'a Content-Length rest over maxDiscardBytes: Connection: close at once, the body is not read',
    head: 'POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n',
    body: 'x'.repeat(10),
    wantKeepAlive: false,
    wantReused: false,
  },
  {
    name: 'a Content-Length rest within maxDiscardBytes: dropped, the connection is reused',
    head: 'POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n',
    body: 'x'.repeat(40),
    wantKeepAlive: true,
    wantReused: true,
  },
  {
    name: 'a chunked body that grows past maxDiscardBytes while dropped: closed after the response',
    head: 'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
    body: '1e\r\n' + 'x'.repeat(30) + '\r\n1e\r\n' + 'x'.repeat(30) + '\r\n',
    wantKeepAlive: true, // the head could not know
    wantReused: false,
  },
  {
    name: 'a short chunked body: dropped, the connection is reused',
    head: 'POST /chunked-small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
    body: '14\r\n' + 'x'.repeat(20) + '\r\n0\r\n\r\n',
    wantKeepAlive: true,
    wantReused: true,
  },
];
for (const { name, head, body, wantKeepAlive, wantReused } of discardCases) {
  test(`maxDiscardBytes (50): ${name}`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const opts = { maxDiscardBytes: 50, idleTimeoutMs: LONG_MS, headersTimeoutMs: LONG_MS, bodyTimeoutMs: LONG_MS };
    await withServer(answersEarly, opts, async ({ connect }) => {
      const c = await connect();
      await c.send(head);
      const res = await c.readResponse();
      assert.equal(res.headers.connection, wantKeepAlive ? undefined : 'close');
      // A next request follows only where it is wanted: bytes after an unfinished chunked body
      // would be a framing error, which closes the connection for another reason.
      await c.send(wantReused ? body + 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n' : body);
      if (wantReused) {
        assert.equal((await c.readResponse()).body.toString(), 'early /next');
      } else {
        assert.equal((await c.readToEnd()).length, 0, 'closed without waiting for the rest');
      }
    });
  });
}

test('maxDiscardBytes: 0 never drops a body; a request with an unread body ends its connection', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(answersEarly, { maxDiscardBytes: 0 }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n');
    assert.equal((await c.readResponse()).headers.connection, 'close');
    assert.equal((await c.readToEnd()).length, 0);
  });
});

test('discardTimeoutMs: dropping an unread body is bounded in total time, not per gap (nginx lingering_time)', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { clock, advance } = manualClock();
  const opts = { clock, discardTimeoutMs: 1000, bodyTimeoutMs: 1000, headersTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS, timerResolutionMs: 5 };
  await withServer(answersEarly, opts, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n');
    const res = await c.readResponse();
    assert.equal(res.headers.connection, undefined, 'the response promised keep-alive');
    // 10 bytes every 400 ms: each gap far inside bodyTimeoutMs.
    for (let i = 0; i < 2; i++) {
      advance(400);
      await c.send('x'.repeat(10));
    }
    advance(200); // 1,000 ms after the drop began
    assert.equal((await c.readToEnd()).length, 0, 'closed with nothing more sent');
  });
});

test('an unread body after 10 bytes every 10 s: with the defaults the connection is closed, not held (issue #12)', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The attack, one connection: a 1 MB body announced, the handler answers first.
  await withServer(answersEarly, {}, async ({ port }) => {
    const c = await RawClient.connect(port);
    try {
      await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(10));
      const res = await c.readResponse();
      assert.equal(res.headers.connection, 'close');
      assert.equal((await c.readToEnd()).length, 0);
    } finally {
      await c.close();
    }
  });
});
