// Load tests for src/server/: 1,000 concurrent connections and write backpressure (issue #3).
// Bounded in size and time; 127.0.0.1 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Handler } from '../../src/server/handler.js';
import { deferred, FIXED_DATE, FIXED_NOW_MS, RawClient, until, withServer } from './helpers.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;
const CONNECTIONS = 1000;
/** Connections opened per wave: below the listen backlog (511), so no SYN is dropped and retried a second later. */
const CONNECT_WAVE = 250;

test(`${CONNECTIONS} concurrent connections, all in flight at once, all answered correctly`, async () => {
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

test('backpressure: a 20 MiB streamed response to a slow reader waits on drain() and arrives byte-exact', async () => {
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
