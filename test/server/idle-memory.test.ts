// Tests for what an idle keep-alive connection keeps (issue #18 item 5): src/server/connection.ts
// and output.ts. The figure itself is measured by bench/idle-memory.mjs; these tests pin the
// structure that keeps it low: the socket listeners are shared by every connection (no closure
// per connection), and 'drain' is listened for only while a send deadline runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Handler } from '../../src/server/handler.js';
import { Server } from '../../src/server/server.js';
import type { ServerOptions } from '../../src/server/options.js';
import { FIXED_NOW_MS, RawClient, TEST_TIMEOUT_MS, until } from './helpers.js';

/**
 * Runs `fn` with a keel Server fed through serveSocket() by a plain listener, so the test sees
 * the server side of each socket (`sockets`, in accept order). Closes everything it opened.
 */
async function withServedSockets(
  handler: Handler,
  options: ServerOptions,
  fn: (ctx: { sockets: Socket[]; connect: () => Promise<RawClient> }) => Promise<void>,
): Promise<void> {
  const server = new Server(handler, { onError: () => {}, ...options });
  const sockets: Socket[] = [];
  const outer = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    sockets.push(s);
    server.serveSocket(s);
  });
  await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', () => resolve()));
  const port = (outer.address() as AddressInfo).port;
  const clients: RawClient[] = [];
  try {
    await fn({
      sockets,
      connect: async () => {
        const c = await RawClient.connect(port);
        clients.push(c);
        return c;
      },
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close(100);
    await new Promise<void>((resolve) => outer.close(() => resolve()));
  }
}

test('idle keep-alive connections share their socket listeners and keep none for drain', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServedSockets((_req, res) => res.end('ok'), {}, async ({ sockets, connect }) => {
    const a = await connect();
    const b = await connect();
    for (const c of [a, b]) {
      await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal((await c.readResponse()).body.toString(), 'ok');
    }
    await until(() => sockets.length === 2, 'both sockets accepted');
    const [sa, sb] = sockets;
    const cases = [
      { event: 'data', want: 1 },
      { event: 'error', want: 1 },
      // Node's stream machinery listens for 'end' itself; ours comes after it.
      { event: 'end', want: sa.listenerCount('end') },
      { event: 'close', want: sa.listenerCount('close') },
      { event: 'drain', want: 0 },
    ];
    for (const { event, want } of cases) {
      const la = sa.listeners(event);
      const lb = sb.listeners(event);
      assert.equal(la.length, want, `${event}: listener count`);
      assert.equal(lb.length, la.length, `${event}: same count on both sockets`);
      for (let i = 0; i < la.length; i++) assert.equal(la[i], lb[i], `${event}: listener ${i} is one function for every connection`);
    }
    assert.ok(sa.listenerCount('data') === 1 && sa.listenerCount('close') >= 1, 'the connection listens');
  });
});

test('sendTimeoutMs: a client that reads again clears the deadline, and drain is no longer listened for', { timeout: TEST_TIMEOUT_MS }, async () => {
  let now = FIXED_NOW_MS;
  let clockReads = 0;
  const clock = (): number => {
    clockReads++;
    return now;
  };
  // Far more than the loopback socket buffers hold, so the write reports backpressure.
  const big = Buffer.alloc(16 * 1024 * 1024, 0x61);
  const handler: Handler = (req, res) => res.end(req.path === '/big' ? big : 'small');
  const opts: ServerOptions = { clock, sendTimeoutMs: 1000, timerResolutionMs: 5, idleTimeoutMs: 600_000 };
  await withServedSockets(handler, opts, async ({ sockets, connect }) => {
    const c = await connect();
    c.socket.pause(); // the client stops reading
    await c.send('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => sockets.length === 1 && sockets[0].writableNeedDrain, 'the server socket is full');
    const s = sockets[0];
    assert.ok(s.listenerCount('drain') >= 1, 'drain is listened for while the deadline runs');
    now += 500; // within sendTimeoutMs
    c.socket.resume();
    const r = await c.readResponse();
    assert.equal(r.body.length, big.length);
    // The client can read the last byte before the server's 'drain' event is delivered: wait for it.
    await until(() => s.listenerCount('drain') === 0, 'the drain listener went with the deadline');
    // Past the first deadline: a sweep that still saw it would destroy the connection.
    now += 5000;
    const reads = clockReads;
    await until(() => clockReads >= reads + 3, 'the sweep ran after the clock moved');
    await c.send('GET /small HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.readResponse()).body.toString(), 'small');
  });
});
