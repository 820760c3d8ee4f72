// Tests for src/server/request.ts and the body reader over real sockets: reading a request's
// body after its response ended (the read fails or reads empty, and never takes the next
// pipelined request's bytes). Moved here from review.test.ts (issue #14 item 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_NOW_MS, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;

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
