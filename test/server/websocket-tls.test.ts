// wss: the WebSocket upgrade over keel's TLS listener (issue #15 item 6), with `ws` as the client
// trusting only a throwaway certificate (selfSignedCert(), openssl; skipped only when openssl is missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { Server } from '../../src/server/server.js';
import { upgradeWebSocket } from '../../src/server/websocket-upgrade.js';
import { selfSignedCert } from '../client/helpers.js';

const pair = selfSignedCert();
const skipReason = pair === null ? 'openssl is not installed: cannot generate a test certificate' : false;

test('wss: echo with and without permessage-deflate, a 4 MiB message, and server.close() sending 1001', { skip: skipReason }, async () => {
  const { key, cert } = pair!;
  const server = new Server(
    (req, res) => void upgradeWebSocket(req, res, { message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }) }, { perMessageDeflate: true }),
    { tls: { key, cert } },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  let closing: Promise<void> | undefined;
  try {
    for (const perMessageDeflate of [false, true]) {
      const c = new WsClient(`wss://localhost:${port}/`, { ca: cert, perMessageDeflate });
      await once(c, 'open');
      const big = Buffer.alloc(4 * 1024 * 1024, 'ab');
      for (const input of ['over tls', big]) {
        const got = once(c, 'message') as Promise<[Buffer, boolean]>;
        c.send(input);
        const [data, isBinary] = await got;
        assert.equal(isBinary, typeof input !== 'string');
        assert.ok(data.equals(Buffer.from(input)));
      }
      if (perMessageDeflate) {
        const clientClosed = once(c, 'close');
        closing = server.close(5000);
        const [code] = (await clientClosed) as [number];
        assert.equal(code, 1001);
        await closing;
      } else {
        const done = once(c, 'close');
        c.close(1000);
        await done;
      }
    }
  } finally {
    await (closing ?? server.close(1000));
  }
});
