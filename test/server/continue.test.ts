// Tests for Expect: 100-continue in src/server/connection.ts (RFC 9110 §10.1.1, §15.2.1), over real sockets (issue #3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** Lets the event loop turn a few times so anything the server would send has arrived. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 2));
}

test('100 Continue is sent only once the handler reads the body, then the body flows', { timeout: TEST_TIMEOUT_MS }, async () => {
  const started = deferred();
  const gate = deferred();
  const handler: Handler = async (req, res) => {
    started.resolve();
    await gate.promise;
    res.end(`got ${await req.text()}`);
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await started.promise;
    await settle();
    assert.equal(c.buffered.length, 0, 'no 100 before the handler asks for the body');
    gate.resolve();
    assert.equal((await c.take(CONTINUE.length)).toString('latin1'), CONTINUE);
    await c.send('hello');
    const res = await c.readResponse();
    assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 9\r\n\r\ngot hello`);
    // The exchange completed cleanly: the connection persists.
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).status, 200);
  });
});

test('100 Continue with a chunked body', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (req, res) => res.end(await req.text()), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n');
    assert.equal((await c.take(CONTINUE.length)).toString('latin1'), CONTINUE);
    await c.send('3\r\nabc\r\n0\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'abc');
  });
});

const refusals: Array<{ name: string; status: number; want: string }> = [
  { name: '413 before reading', status: 413, want: `HTTP/1.1 413 Content Too Large\r\n${D}Content-Length: 0\r\nConnection: close\r\n\r\n` },
  { name: '417 before reading', status: 417, want: `HTTP/1.1 417 Expectation Failed\r\n${D}Content-Length: 0\r\nConnection: close\r\n\r\n` },
  { name: '401 before reading', status: 401, want: `HTTP/1.1 401 Unauthorized\r\n${D}Content-Length: 0\r\nConnection: close\r\n\r\n` },
];

for (const row of refusals) {
  test(`a handler refusing with ${row.name}: no 100, final status, connection closed`, { timeout: TEST_TIMEOUT_MS }, async () => {
    let calls = 0;
    const handler: Handler = (_req, res) => {
      calls++;
      res.status = row.status;
      res.end();
    };
    await withServer(handler, { clock }, async ({ connect }) => {
      const c = await connect();
      // A pipelined request after it must not be answered: the body was never sent, so
      // the server cannot know where the next request starts.
      await c.send(
        'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n' +
          'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
      );
      const all = (await c.readToEnd()).toString('latin1');
      assert.equal(all, row.want);
      assert.equal(calls, 1);
    });
  });
}

test('a handler refusing by throwing before reading: 500, no 100, closed', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(() => {
    throw new Error('nope');
  }, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n');
    const all = (await c.readToEnd()).toString('latin1');
    assert.ok(all.startsWith('HTTP/1.1 500 Internal Server Error\r\n'), JSON.stringify(all));
    assert.ok(!all.includes('100 Continue'));
  });
});

test('no 100 after the final response has started, even if the handler then reads', { timeout: TEST_TIMEOUT_MS }, async () => {
  const handler: Handler = async (req, res) => {
    res.writeHead(200);
    res.write('early ');
    try {
      await req.text();
    } catch {
      // the body may never come: the client waits for a 100 that is not sent
    }
    res.end('done');
  };
  // The real clock: the body deadline must be able to pass.
  await withServer(handler, { bodyTimeoutMs: 200, timerResolutionMs: 20 }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    const res = await c.readResponse();
    assert.equal(res.status, 200);
    assert.ok(!res.head.includes('100 Continue'));
    assert.equal(res.body.toString(), 'early done');
  });
});

test('an Expect other than 100-continue: 417 before any handler runs (RFC 9110 §10.1.1)', { timeout: TEST_TIMEOUT_MS }, async () => {
  let calls = 0;
  await withServer(() => void calls++, { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: teapot\r\n\r\nabc');
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(
      all,
      `HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n${D}\r\n417 Expectation Failed\n`,
    );
    assert.equal(calls, 0);
  });
});

test('Expect: 100-continue with a Content-Length over maxBodyBytes: 413 from the head, no 100', { timeout: TEST_TIMEOUT_MS }, async () => {
  let calls = 0;
  await withServer(() => void calls++, { clock, maxBodyBytes: 100 }, async ({ connect }) => {
    const c = await connect();
    await c.send('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\nExpect: 100-continue\r\n\r\n');
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(
      all,
      `HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\nConnection: close\r\n${D}\r\n413 Content Too Large\n`,
    );
    assert.equal(calls, 0);
  });
});

test('HTTP/1.0 never gets a 100 (RFC 9110 §15.2: no 1xx to HTTP/1.0 clients)', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (req, res) => res.end(await req.text()), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.0\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody');
    const all = (await c.readToEnd()).toString('latin1');
    assert.equal(all, `HTTP/1.1 200 OK\r\n${D}Content-Length: 4\r\nConnection: close\r\n\r\nbody`);
  });
});

test('a client that sends the body without waiting: the response is still correct', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (req, res) => res.end(await req.text()), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody');
    let first = await c.readResponse();
    // RFC 9110 §10.1.1: the server MAY omit the 100 once content has arrived; the client copes with either.
    if (first.status === 100) first = await c.readResponse();
    assert.equal(first.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 4\r\n\r\nbody`);
  });
});

test('Expect: 100-continue without a body: no 100, plain answer (RFC 9110 §10.1.1)', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((_req, res) => res.end('ok'), { clock }, async ({ connect }) => {
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n');
    const res = await c.readResponse();
    assert.equal(res.raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: 2\r\n\r\nok`);
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).status, 200, 'connection kept');
  });
});
