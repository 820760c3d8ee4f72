// Tests for src/server/connection.ts over real sockets: what a handler may return (null, a
// throwing thenable), pipelined batches (a later failure, the Date a batch shares) and the
// per-wait timeouts (bodyTimeoutMs, idleTimeoutMs after a long response). Moved here from
// review.test.ts (issue #14 item 9); keep-alive and pipelining basics are in keepalive.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, ManualClock, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;

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

test('bodyTimeoutMs bounds each wait for body bytes, not the handler\'s time between reads', { timeout: TEST_TIMEOUT_MS }, async () => {
  const time = new ManualClock();
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
  await withServer(handler, { clock: time.clock, bodyTimeoutMs, timerResolutionMs: 5 }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n');
    await reading.promise;
    await c.send('abc');
    await firstChunk.promise;
    time.now += 10 * bodyTimeoutMs; // the handler takes long over the first chunk
    await time.reads(4); // a few timeout sweeps
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

test('idleTimeoutMs counts from the end of a long response, not from when its head was built', { timeout: TEST_TIMEOUT_MS }, async () => {
  const time = new ManualClock();
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
  await withServer(handler, { clock: time.clock, idleTimeoutMs, timerResolutionMs: 5 }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n');
    await headSent.promise;
    time.now += 10 * idleTimeoutMs;
    gate.resolve();
    assert.equal((await c.readResponse()).body.toString(), 'ab');
    await time.reads(4); // a few timeout sweeps
    assert.equal(c.ended, false, 'the connection was just used: it is not idle yet');
    await c.send('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'next');
  });
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
