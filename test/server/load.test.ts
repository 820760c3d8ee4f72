// Load tests for src/server/: 1,000 concurrent connections and write backpressure (issue #3).
// Bounded in size and time; 127.0.0.1 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, RawClient, until, withServer, TEST_TIMEOUT_MS } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
const CONNECTIONS = 1000;
/** Connections opened per wave: below the listen backlog (511), so no SYN is dropped and retried a second later. */
const CONNECT_WAVE = 250;

test(`${CONNECTIONS} concurrent connections, all in flight at once, all answered correctly`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const allIn = deferred();
  let inFlight = 0;
  let maxInFlight = 0;
  const handler: Handler = async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (inFlight === CONNECTIONS) allIn.resolve();
    await allIn.promise; // every handler waits until all requests are being handled together
    inFlight--;
    res.end(`you are ${req.path.slice(1)}`);
  };
  await withServer(handler, { clock }, async ({ port, server }) => {
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i += CONNECT_WAVE) {
        const wave = await Promise.all(Array.from({ length: Math.min(CONNECT_WAVE, CONNECTIONS - i) }, () => RawClient.connect(port)));
        clients.push(...wave);
        await until(() => server.connectionStates().new === clients.length, 'the server to accept the wave');
      }
      await Promise.all(clients.map((c, i) => c.send(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`)));
      const responses = await Promise.all(clients.map((c) => c.readResponse()));
      assert.equal(maxInFlight, CONNECTIONS);
      for (let i = 0; i < CONNECTIONS; i++) {
        const body = `you are ${i}`;
        assert.equal(responses[i].raw.toString('latin1'), `HTTP/1.1 200 OK\r\n${D}Content-Length: ${body.length}\r\n\r\n${body}`);
      }
      assert.equal(server.connectionStates().idle, CONNECTIONS, 'every connection kept alive');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

const TOTAL_BYTES = 20 * 1024 * 1024;
const PIECE_BYTES = 64 * 1024;

/** Deterministic, non-repeating-per-piece content so a lost or reordered piece changes the hash. */
function piece(index: number): Buffer {
  const b = Buffer.alloc(PIECE_BYTES, index % 251);
  b.writeUInt32BE(index, 0);
  return b;
}

test('backpressure: a 20 MiB streamed response to a slow reader waits on drain() and arrives byte-exact', { timeout: TEST_TIMEOUT_MS }, async () => {
  const firstFull = deferred<number>();
  let falseWrites = 0;
  const expected = createHash('sha256');
  for (let i = 0; i < TOTAL_BYTES / PIECE_BYTES; i++) expected.update(piece(i));
  const handler: Handler = async (_req, res) => {
    res.headers.set('Content-Length', TOTAL_BYTES);
    let written = 0;
    for (let i = 0; written < TOTAL_BYTES; i++) {
      const p = piece(i);
      written += p.length;
      if (!res.write(p)) {
        falseWrites++;
        firstFull.resolve(written);
        await res.drain();
      }
    }
    res.end();
  };
  await withServer(handler, { clock }, async ({ connect }) => {
    const c = await connect();
    c.socket.pause(); // the reader is not reading yet: only the kernel buffers fill
    await c.send('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    const bytesBeforeFull = await firstFull.promise;
    assert.ok(bytesBeforeFull < TOTAL_BYTES / 2, `write() reported a full buffer early (after ${bytesBeforeFull} bytes)`);
    // Slow reader: a few reads with pauses, then the rest.
    for (let i = 0; i < 5; i++) {
      c.socket.resume();
      await new Promise((r) => setImmediate(r));
      c.socket.pause();
      await new Promise((r) => setTimeout(r, 5));
    }
    c.socket.resume();
    const head = (await c.takeUntil('\r\n\r\n')).toString('latin1');
    assert.equal(head, `HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL_BYTES}\r\n${D}\r\n`);
    const hash = createHash('sha256');
    let got = 0;
    while (got < TOTAL_BYTES) {
      const chunk = await c.take(Math.min(1024 * 1024, TOTAL_BYTES - got));
      hash.update(chunk);
      got += chunk.length;
    }
    assert.equal(hash.digest('hex'), expected.digest('hex'));
    assert.ok(falseWrites > 1, 'the handler was held back by drain() more than once');
    // The connection is in step after 20 MiB: a second request works.
    await c.send('HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse(true)).status, 200);
  });
});

test('sendTimeoutMs: a client that stops reading is disconnected, and the writing handler is released', { timeout: TEST_TIMEOUT_MS }, async () => {
  const outcome = deferred<{ closed: boolean; writtenBytes: number }>();
  const handler: Handler = async (_req, res) => {
    const p = piece(0);
    let written = 0;
    // Without the send timeout this loop would wait on drain() forever.
    while (!res.closed && written < TOTAL_BYTES * 10) {
      written += p.length;
      if (!res.write(p)) await res.drain();
    }
    outcome.resolve({ closed: res.closed, writtenBytes: written });
    res.end();
  };
  const opts = { sendTimeoutMs: 200, timerResolutionMs: 20, idleTimeoutMs: 60_000 };
  await withServer(handler, opts, async ({ connect, server }) => {
    const c = await connect();
    c.socket.pause(); // never reads again
    await c.send('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n');
    const t0 = Date.now();
    const { closed, writtenBytes } = await outcome.promise;
    assert.equal(closed, true);
    assert.ok(writtenBytes < TOTAL_BYTES * 10, 'stopped well before the end');
    assert.ok(Date.now() - t0 >= 150, 'not before sendTimeoutMs');
    await until(() => server.connectionStates().active === 0, 'the connection to be gone');
  });
});

test('maxConnections: connections over the limit are dropped unanswered, the others are served', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer((_req, res) => res.end('ok'), { clock, maxConnections: 2 }, async ({ connect, server }) => {
    const a = await connect();
    const b = await connect();
    await until(() => server.connectionStates().new === 2, 'two connections');
    const c = await connect();
    await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n').catch(() => {});
    assert.equal((await c.readToEnd()).length, 0, 'the third connection is closed without an answer');
    for (const x of [a, b]) {
      await x.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await x.readResponse()).body.toString(), 'ok');
    }
    // A slot freed is reusable.
    await a.close();
    await until(() => server.connectionStates().idle === 1, 'one connection left');
    const d = await connect();
    await d.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await d.readResponse()).body.toString(), 'ok');
  });
});
