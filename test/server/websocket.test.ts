// The WebSocket server over real sockets (issue #15): upgradeWebSocket() on a bare Server, with the
// `ws` npm package as the client (devDependency, a client nobody here wrote) and a raw node:net
// client where exact bytes matter (a frame in the handshake's packet, a client that never reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/handler.js';
import { upgradeWebSocket, type UpgradeOptions } from '../../src/server/websocket-upgrade.js';
import type { SendStatus, WebSocket, WebSocketHandlers } from '../../src/server/websocket.js';
import { WebSocketTopics } from '../../src/server/websocket-topics.js';
import { WebSocketParser, WS_NEED_DATA, type WebSocketEvent } from '../../src/wire/websocket-frame.js';
import { encodeMessage, encodePing } from '../../src/wire/websocket-serializer.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** RFC 6455 §1.3's example: this key's Sec-WebSocket-Accept. */
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Echo handlers: every message back whole with its type. */
const ECHO: WebSocketHandlers = {
  message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }),
};

interface Running {
  server: Server;
  url: string;
  port: number;
  /** WebSockets the server opened, in order. */
  sockets: WebSocket[];
  /** Resolves with each close the server saw: [code, reason]. */
  closes: Array<[number, string]>;
  closed: () => Promise<[number, string]>;
}

/** A Server upgrading `/ws` with these handlers and options; other paths get 404. Closed after `fn`. */
async function withWsServer(
  handlers: WebSocketHandlers,
  options: UpgradeOptions,
  fn: (r: Running) => Promise<void>,
  extra?: Handler,
): Promise<void> {
  const sockets: WebSocket[] = [];
  const closes: Array<[number, string]> = [];
  const closeWaiters: Array<(c: [number, string]) => void> = [];
  const h: WebSocketHandlers = {
    ...handlers,
    open(ws) {
      sockets.push(ws);
      return handlers.open?.(ws);
    },
    close(ws, code, reason) {
      const waiter = closeWaiters.shift();
      if (waiter !== undefined) waiter([code, reason]);
      else closes.push([code, reason]);
      handlers.close?.(ws, code, reason);
    },
  };
  const server = new Server(
    (req, res) => {
      if (req.path === '/ws') upgradeWebSocket(req, res, h, options);
      else if (extra !== undefined) return extra(req, res);
      else {
        res.status = 404;
        res.end('not found');
      }
    },
    { onError: (err) => assert.fail(`server onError: ${String(err)}`) },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const closed = (): Promise<[number, string]> =>
    closes.length > 0 ? Promise.resolve(closes.shift()!) : new Promise((resolve) => closeWaiters.push(resolve));
  try {
    await fn({ server, url: `ws://127.0.0.1:${port}/ws`, port, sockets, closes, closed });
  } finally {
    await server.close(2000);
  }
}

/** A connected ws client. */
async function connect(url: string, options: ConstructorParameters<typeof WsClient>[2] = {}, protocols?: string[]): Promise<WsClient> {
  const c = new WsClient(url, protocols, { perMessageDeflate: false, ...options });
  await once(c, 'open');
  return c;
}

/** The next message the client receives: [data, isBinary]. */
async function nextMessage(c: WsClient): Promise<[Buffer, boolean]> {
  const [data, isBinary] = (await once(c, 'message')) as [Buffer, boolean];
  return [data, isBinary];
}

/** Closes a client and waits for its socket to go. */
async function closeClient(c: WsClient): Promise<void> {
  if (c.readyState === WsClient.CLOSED) return;
  const done = once(c, 'close');
  c.terminate();
  await done;
}

/** Reads server frames from a raw socket with keel's parser in the client role. */
class RawWsReader {
  readonly events: WebSocketEvent[] = [];
  readonly #parser = new WebSocketParser({ role: 'client', maxMessageBytes: 64 * 1024 * 1024 });
  #waiter: (() => void) | null = null;
  ended = false;

  constructor(socket: net.Socket, head: Buffer) {
    this.#feed(head);
    socket.on('data', (chunk: Buffer) => this.#feed(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.#waiter?.();
    });
  }

  #feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#parser.receive(Buffer.from(chunk));
    for (let ev = this.#parser.nextEvent(); ev !== WS_NEED_DATA; ev = this.#parser.nextEvent()) {
      // Data events are views of input: copy them.
      this.events.push(ev.type === 'message-data' || ev.type === 'ping' || ev.type === 'pong' ? { ...ev, data: Buffer.from(ev.data) } : ev);
    }
    this.#waiter?.();
  }

  /** Waits until an event of this type has arrived, and returns it (and removes events up to it). */
  async next(type: WebSocketEvent['type']): Promise<WebSocketEvent> {
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type);
      if (i >= 0) return this.events.splice(0, i + 1)[i];
      if (this.ended) throw new Error(`socket closed before a ${type} event`);
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  /** Data of the next whole message. */
  async message(): Promise<Buffer> {
    await this.next('message-start');
    const parts: Buffer[] = [];
    for (;;) {
      for (;;) {
        const ev = this.events[0];
        if (ev === undefined) break;
        this.events.shift();
        if (ev.type === 'message-data') parts.push(ev.data);
        if (ev.type === 'message-end') return Buffer.concat(parts);
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }
}

/** Opens a raw TCP connection, sends `bytes`, returns the socket and the 101 head (and what followed it). */
async function rawUpgrade(port: number, extra: Buffer = Buffer.alloc(0), fields = ''): Promise<{ socket: net.Socket; head: string; rest: Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const request =
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${fields}\r\n`;
  socket.write(Buffer.concat([Buffer.from(request, 'latin1'), extra]));
  let buf = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    buf = Buffer.concat([buf, chunk]);
    const end = buf.indexOf('\r\n\r\n');
    if (end >= 0) {
      socket.pause();
      return { socket, head: buf.subarray(0, end + 4).toString('latin1'), rest: buf.subarray(end + 4) };
    }
  }
}

const clientFrame = (kind: 'text' | 'binary', data: string | Buffer): Buffer => encodeMessage(kind, data, { role: 'client' });

test('echo: text comes back as text, binary as binary, with the RFC 6455 accept key', async () => {
  await withWsServer(ECHO, {}, async ({ url }) => {
    const c = await connect(url);
    try {
      const cases: Array<{ name: string; input: string | Buffer; want: [string, boolean] }> = [
        { name: 'text', input: 'héllo wörld', want: [Buffer.from('héllo wörld').toString('hex'), false] },
        { name: 'empty text', input: '', want: ['', false] },
        { name: 'binary', input: Buffer.from([0, 1, 2, 255]), want: ['000102ff', true] },
        { name: 'binary 70 000 bytes', input: Buffer.alloc(70_000, 7), want: [Buffer.alloc(70_000, 7).toString('hex'), true] },
      ];
      for (const { name, input, want } of cases) {
        const got = nextMessage(c);
        c.send(input);
        const [data, isBinary] = await got;
        assert.deepEqual([data.toString('hex'), isBinary], want, name);
      }
    } finally {
      await closeClient(c);
    }
  });
});

test('handshake: the 101 carries Sec-WebSocket-Accept of RFC 6455 §1.3 and the fields a handler set', async () => {
  const server = new Server((req, res) => {
    res.headers.append('Set-Cookie', 'sid=1');
    upgradeWebSocket(req, res, ECHO);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const { socket, head } = await rawUpgrade(port);
    assert.equal(
      head,
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\nSet-Cookie: sid=1\r\n\r\n`,
    );
    socket.destroy();
  } finally {
    await server.close(1000);
  }
});

test('handshake refusals go through the normal response (RFC 6455 §4.2.1, §4.4)', async () => {
  const rows: Array<{ name: string; input: string; want: RegExp }> = [
    { name: 'version 8: 426 with Sec-WebSocket-Version: 13', input: 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 8\r\n', want: /^HTTP\/1\.1 426 [^\r]*\r\n(?:.*\r\n)*Sec-WebSocket-Version: 13\r\n/ },
    // RFC 9110 §7.8: a server that sends Upgrade sends Connection: upgrade too.
    { name: 'no Upgrade: 426 with Upgrade: websocket and Connection: upgrade', input: 'Connection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 13\r\n', want: /^HTTP\/1\.1 426 [^\r]*\r\n(?:.*\r\n)*Upgrade: websocket\r\n(?:.*\r\n)*Connection: upgrade\r\n/ },
    { name: 'short key: 400', input: 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n', want: /^HTTP\/1\.1 400 / },
    { name: 'a body: 400', input: 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 13\r\nContent-Length: 2\r\n\r\nhi', want: /^HTTP\/1\.1 400 / },
  ];
  await withWsServer(ECHO, {}, async ({ port }) => {
    for (const { name, input, want } of rows) {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`GET /ws HTTP/1.1\r\nHost: x\r\n${input}${input.includes('Content-Length') ? '' : '\r\n'}`);
      let got = '';
      socket.setEncoding('latin1').on('data', (t: string) => (got += t));
      // A refused upgrade stays HTTP: the connection persists, so read until the body is in.
      while (!/\r\n\r\n[A-Za-z ]+\n$/.test(got)) await once(socket, 'data');
      assert.match(got, want, name);
      socket.destroy();
    }
  });
});

test('a fragmented message is assembled whole; control frames between fragments are answered', async () => {
  await withWsServer(ECHO, {}, async ({ url }) => {
    const c = await connect(url);
    try {
      const got = nextMessage(c);
      const pong = once(c, 'pong');
      c.send('frag', { fin: false });
      c.ping('between');
      c.send('ment', { fin: false });
      c.send('ed', { fin: true });
      const [[pongData], [data, isBinary]] = await Promise.all([pong, got]);
      assert.equal(String(pongData), 'between');
      assert.deepEqual([data.toString(), isBinary], ['fragmented', false]);
    } finally {
      await closeClient(c);
    }
  });
});

test('ping/pong: the client\'s ping is answered; the server\'s ping gets the client\'s pong', async () => {
  let serverPong: (d: string) => void;
  const pongSeen = new Promise<string>((resolve) => (serverPong = resolve));
  await withWsServer({ ...ECHO, pong: (_ws, data) => serverPong(data.toString()) }, {}, async ({ url, sockets }) => {
    const c = await connect(url);
    try {
      const pong = once(c, 'pong');
      c.ping('abc');
      assert.equal(String((await pong)[0]), 'abc');
      const ping = once(c, 'ping');
      assert.equal(sockets[0].ping('xyz'), 'sent');
      assert.equal(String((await ping)[0]), 'xyz');
      assert.equal(await pongSeen, 'xyz');
    } finally {
      await closeClient(c);
    }
  });
});

test('close handshake: the client\'s code and reason reach the server and are echoed', async () => {
  await withWsServer(ECHO, {}, async ({ url, closed }) => {
    const c = await connect(url);
    const clientClosed = once(c, 'close');
    c.close(4000, 'bye');
    const [code, reason] = (await clientClosed) as [number, Buffer];
    assert.deepEqual([code, reason.toString()], [4000, '']);
    assert.deepEqual(await closed(), [4000, 'bye']);
  });
});

test('close handshake: server close(code, reason) reaches the client, which answers', async () => {
  await withWsServer(ECHO, {}, async ({ url, sockets, closed }) => {
    const c = await connect(url);
    const clientClosed = once(c, 'close');
    sockets[0].close(4001, 'server says bye');
    assert.equal(sockets[0].state, 'closing');
    assert.equal(sockets[0].send('late'), 'dropped');
    const [code, reason] = (await clientClosed) as [number, Buffer];
    assert.deepEqual([code, reason.toString()], [4001, 'server says bye']);
    // ws answers with the same code and reason (§5.5.1): the server reports the peer's Close.
    assert.deepEqual(await closed(), [4001, 'server says bye']);
    assert.equal(sockets[0].state, 'closed');
  });
});

test('close codes the server may not send throw before anything is sent', async () => {
  await withWsServer(ECHO, {}, async ({ url, sockets }) => {
    const c = await connect(url);
    try {
      for (const code of [1005, 1006, 1015, 999, 2999, 5000]) assert.throws(() => sockets[0].close(code), RangeError, String(code));
      assert.equal(sockets[0].state, 'open');
    } finally {
      await closeClient(c);
    }
  });
});

test('terminate(): the socket goes at once; the server reports 1006', async () => {
  await withWsServer(ECHO, {}, async ({ url, sockets, closed }) => {
    const c = await connect(url);
    const clientClosed = once(c, 'close');
    sockets[0].terminate();
    assert.equal(((await clientClosed) as [number])[0], 1006);
    assert.deepEqual(await closed(), [1006, '']);
  });
});

test('a 16 MiB message echoes whole (the keel echo contract)', async () => {
  await withWsServer(ECHO, {}, async ({ url }) => {
    const c = await connect(url, { maxPayload: 32 * 1024 * 1024 });
    try {
      const big = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
      const got = nextMessage(c);
      c.send(big);
      const [data, isBinary] = await got;
      assert.equal(isBinary, true);
      assert.equal(data.length, big.length);
      assert.ok(data.equals(big));
    } finally {
      await closeClient(c);
    }
  });
});

test('a message over maxMessageBytes closes 1009, text or binary', async () => {
  await withWsServer(ECHO, { maxMessageBytes: 1000 }, async ({ url, closed }) => {
    for (const input of ['x'.repeat(1001), Buffer.alloc(1001)]) {
      const c = await connect(url);
      const clientClosed = once(c, 'close');
      c.send(input);
      assert.equal(((await clientClosed) as [number])[0], 1009);
      assert.deepEqual(await closed(), [1009, 'message too big']);
    }
  });
});

test('invalid input fails the connection with the parser\'s close code (1002 unmasked, 1007 bad UTF-8)', async () => {
  const rows = [
    { name: 'unmasked frame', input: encodeMessage('text', 'hi'), want: 1002 },
    { name: 'invalid UTF-8', input: clientFrame('binary', Buffer.from([0xc3, 0x28])).fill(0x81, 0, 1), want: 1007 },
  ];
  await withWsServer(ECHO, {}, async ({ port, closed }) => {
    for (const { name, input, want } of rows) {
      const { socket, rest } = await rawUpgrade(port);
      const reader = new RawWsReader(socket, rest);
      socket.resume();
      socket.write(input);
      const ev = await reader.next('close');
      assert.equal(ev.type === 'close' && ev.code, want, name);
      assert.equal((await closed())[0], want, name);
      socket.destroy();
    }
  });
});

test('frames in the same packet as the handshake are kept (RFC 6455 §4.2.1)', async () => {
  await withWsServer(ECHO, {}, async ({ port }) => {
    const frames = Buffer.concat([clientFrame('text', 'first'), clientFrame('binary', Buffer.from('second'))]);
    const { socket, head, rest } = await rawUpgrade(port, frames);
    try {
      assert.match(head, /^HTTP\/1\.1 101 /);
      const reader = new RawWsReader(socket, rest);
      socket.resume();
      assert.equal((await reader.message()).toString(), 'first');
      assert.equal((await reader.message()).toString(), 'second');
    } finally {
      socket.destroy();
    }
  });
});

test('permessage-deflate: negotiated when offered and enabled; echoes compressed text and binary', async () => {
  for (const { name, serverDeflate, clientDeflate, want } of [
    { name: 'on', serverDeflate: true, clientDeflate: true, want: 'permessage-deflate' },
    { name: 'server off', serverDeflate: false, clientDeflate: true, want: '' },
    { name: 'client off', serverDeflate: true, clientDeflate: false, want: '' },
    { name: 'no context takeover', serverDeflate: { serverNoContextTakeover: true }, clientDeflate: true, want: 'permessage-deflate; server_no_context_takeover' },
  ] as const) {
    await withWsServer(ECHO, { perMessageDeflate: serverDeflate }, async ({ url, sockets }) => {
      const c = await connect(url, { perMessageDeflate: clientDeflate, maxPayload: 32 * 1024 * 1024 });
      try {
        assert.equal(sockets[0].extensions, want, name);
        assert.equal(c.extensions, want.split(';')[0], name); // ws reports the extension names
        const text = 'all work and no play makes jack a dull boy. '.repeat(50_000);
        for (const input of [text, Buffer.from(text), 'short']) {
          const got = nextMessage(c);
          c.send(input);
          const [data, isBinary] = await got;
          assert.equal(isBinary, typeof input !== 'string', name);
          assert.equal(data.toString(), input.toString(), name);
        }
      } finally {
        await closeClient(c);
      }
    });
  }
});

test('permessage-deflate: a message inflating past maxMessageBytes closes 1009', async () => {
  await withWsServer(ECHO, { perMessageDeflate: true, maxMessageBytes: 64 * 1024 }, async ({ url, closed }) => {
    const c = await connect(url, { perMessageDeflate: true });
    const clientClosed = once(c, 'close');
    c.send(Buffer.alloc(1024 * 1024)); // a few KiB on the wire, 1 MiB inflated
    assert.equal(((await clientClosed) as [number])[0], 1009);
    assert.equal((await closed())[0], 1009);
  });
});

test('backpressure: send() says buffered then dropped past maxBufferedBytes to a client that does not read; drain follows', async () => {
  let drained: () => void;
  const drainSeen = new Promise<void>((resolve) => (drained = resolve));
  await withWsServer({ drain: () => drained() }, { maxBufferedBytes: 4 * 1024 * 1024 }, async ({ port, sockets }) => {
    const { socket } = await rawUpgrade(port);
    try {
      while (sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
      const ws = sockets[0];
      const chunk = Buffer.alloc(256 * 1024);
      const statuses: SendStatus[] = [];
      for (let i = 0; i < 200 && statuses.at(-1) !== 'dropped'; i++) statuses.push(ws.send(chunk));
      assert.equal(statuses.at(-1), 'dropped', 'a client that never reads must not make the server buffer without bound');
      assert.ok(statuses.includes('buffered'));
      assert.ok(ws.bufferedAmount <= 4 * 1024 * 1024 + chunk.length + 64);
      assert.equal(ws.state, 'open', 'the default policy drops, it does not close');
      socket.resume(); // the client reads now
      await drainSeen;
      assert.equal(ws.send('after drain'), 'sent');
    } finally {
      socket.destroy();
    }
  });
});

test('backpressure policy close: the connection is destroyed instead of dropping', async () => {
  await withWsServer({}, { maxBufferedBytes: 1024 * 1024, bufferedLimitPolicy: 'close' }, async ({ port, sockets, closed }) => {
    const { socket } = await rawUpgrade(port);
    try {
      while (sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = Buffer.alloc(256 * 1024);
      let last: SendStatus = 'sent';
      for (let i = 0; i < 200 && last !== 'dropped'; i++) last = sockets[0].send(chunk);
      assert.equal(last, 'dropped');
      assert.deepEqual(await closed(), [1006, '']);
    } finally {
      socket.destroy();
    }
  });
});

test('server.close() sends 1001 and waits for the close handshake', async () => {
  let serverClose: Promise<void> | undefined;
  await withWsServer(ECHO, {}, async ({ server, url, closed }) => {
    const c = await connect(url);
    // The upgraded connection is still the server's: counted, and reached by close().
    assert.equal(server.connectionStates().upgraded, 1);
    const clientClosed = once(c, 'close');
    serverClose = server.close(5000);
    const [code, reason] = (await clientClosed) as [number, Buffer];
    assert.deepEqual([code, reason.toString()], [1001, 'server shutting down']);
    assert.deepEqual(await closed(), [1001, 'server shutting down']);
    await serverClose;
  });
});

test('idle timeout: a silent peer that answers pings stays; one that does not is closed 1001', async () => {
  await withWsServer(ECHO, { idleTimeoutMs: 60 }, async ({ url, port, closed }) => {
    // ws answers pings by itself: count three of them and the connection is still open.
    const c = await connect(url);
    try {
      for (let i = 0; i < 3; i++) await once(c, 'ping');
      assert.equal(c.readyState, WsClient.OPEN);
    } finally {
      await closeClient(c);
    }
    await closed();
    // A raw client that reads but never answers.
    const { socket, rest } = await rawUpgrade(port);
    const reader = new RawWsReader(socket, rest);
    socket.resume();
    await reader.next('ping');
    const ev = await reader.next('close');
    assert.deepEqual(ev, { type: 'close', code: 1001, reason: 'idle timeout' });
    socket.destroy();
    assert.equal((await closed())[0], 1006);
  });
});

test('a handler that throws closes the connection 1011 and reports to onError', async () => {
  const errors: unknown[] = [];
  const server = new Server((req, res) => void upgradeWebSocket(req, res, { message: () => { throw new Error('boom'); } }), {
    onError: (err) => errors.push(err),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const c = await connect(`ws://127.0.0.1:${port}/`);
    const clientClosed = once(c, 'close');
    c.send('x');
    assert.equal(((await clientClosed) as [number])[0], 1011);
    assert.equal((errors[0] as Error).message, 'boom');
  } finally {
    await server.close(1000);
  }
});

test('topics: publish frames once for every subscriber, ws.publish leaves the sender out, closed sockets unsubscribe', async () => {
  const topics = new WebSocketTopics();
  const handlers: WebSocketHandlers = {
    open: (ws) => void ws.subscribe('room'),
    message: (ws, data) => void ws.publish('room', data),
  };
  for (const deflate of [false, { serverNoContextTakeover: true }, true]) {
    await withWsServer(handlers, { topics, perMessageDeflate: deflate }, async ({ url, sockets, closed }) => {
      const a = await connect(url, { perMessageDeflate: true });
      const b = await connect(url, { perMessageDeflate: true });
      const d = await connect(url);
      try {
        while (topics.subscriberCount('room') < 3) await new Promise((resolve) => setImmediate(resolve));
        const long = 'x'.repeat(5000);
        const gotB = nextMessage(b);
        const gotD = nextMessage(d);
        let aGot = false;
        a.once('message', () => (aGot = true));
        a.send(long);
        assert.equal((await gotB)[0].toString(), long, String(deflate));
        assert.equal((await gotD)[0].toString(), long);
        // Server-side publish reaches everyone, the sender of the last message included.
        const all = [a, b, d].map((c) => nextMessage(c));
        assert.equal(topics.publish('room', Buffer.from('bin')), 3);
        for (const [data, isBinary] of await Promise.all(all)) assert.deepEqual([data.toString(), isBinary], ['bin', true]);
        assert.equal(aGot, true, 'a got the server publish');
        assert.deepEqual(sockets[0].subscriptions, ['room']);
      } finally {
        await closeClient(a);
        await closed();
        assert.equal(topics.subscriberCount('room'), 2);
        await closeClient(b);
        await closeClient(d);
        await closed();
        await closed();
        assert.equal(topics.subscriberCount('room'), 0);
      }
    });
  }
});

test('bytes after the head that arrive in several reads while an async handler decides are all kept', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const server = new Server(async (req, res) => {
    await gate;
    upgradeWebSocket(req, res, ECHO);
  });
  // The test accepts the socket itself and hands it to keel, so it can see when keel has read each chunk
  // (its own 'data' listener runs after the Connection's).
  let seen = 0;
  let seenWaiter: (() => void) | null = null;
  const listener = net.createServer((sock) => {
    server.serveSocket(sock);
    sock.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      seenWaiter?.();
    });
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const waitSeen = async (n: number): Promise<void> => {
    while (seen < n) await new Promise<void>((resolve) => (seenWaiter = resolve));
  };
  const socket = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    const request = Buffer.from(
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      'latin1',
    );
    const frames = Buffer.concat([clientFrame('text', 'first'), clientFrame('text', 'second'), clientFrame('text', 'third')]);
    const pieces = [Buffer.concat([request, frames.subarray(0, 5)]), frames.subarray(5, 14), frames.subarray(14)];
    let total = 0;
    for (const piece of pieces) {
      socket.write(piece);
      total += piece.length;
      await waitSeen(total);
    }
    let buf = Buffer.alloc(0);
    const gotHead = (async () => {
      for (;;) {
        buf = Buffer.concat([buf, ((await once(socket, 'data')) as [Buffer])[0]]);
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          socket.pause();
          return end + 4;
        }
      }
    })();
    release();
    const end = await gotHead;
    const reader = new RawWsReader(socket, buf.subarray(end));
    socket.resume();
    assert.equal((await reader.message()).toString(), 'first');
    assert.equal((await reader.message()).toString(), 'second');
    assert.equal((await reader.message()).toString(), 'third');
  } finally {
    socket.destroy();
    listener.close();
    await server.close(1000);
  }
});

test('permessage-deflate: messages still being compressed when the connection goes are dropped quietly', async () => {
  const rejections: unknown[] = [];
  const onRejection = (err: unknown): void => void rejections.push(err);
  process.on('unhandledRejection', onRejection);
  try {
    await withWsServer({}, { perMessageDeflate: true }, async ({ url, sockets, closed }) => {
      const c = await connect(url, { perMessageDeflate: true });
      const ws = sockets[0];
      for (let i = 0; i < 5; i++) assert.notEqual(ws.send(Buffer.alloc(256 * 1024, i)), 'dropped');
      ws.terminate();
      assert.deepEqual(await closed(), [1006, '']);
      await closeClient(c);
      // Rejections surface after the microtasks of the close: give them a macrotask turn.
      await new Promise((resolve) => setImmediate(resolve));
    });
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  assert.deepEqual(rejections, []);
});

test('a client that leaves while an async handler decides: no upgrade, no error; one that half-closes gets its frames answered, then the close', async () => {
  const errors: unknown[] = [];
  let release!: () => void;
  let gate = new Promise<void>((resolve) => (release = resolve));
  let result: Promise<WebSocket | null> | undefined;
  let entered!: () => void;
  let handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  const closes: number[] = [];
  const server = new Server(
    (req, res) => {
      entered();
      result = gate.then(() => upgradeWebSocket(req, res, { ...ECHO, close: (_ws, code) => void closes.push(code) }));
      return result.then(() => undefined);
    },
    { onError: (err) => void errors.push(err) },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const request =
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // 1. Gone (a reset) before the upgrade.
    const gone = net.connect(port, '127.0.0.1');
    await once(gone, 'connect');
    gone.write(request);
    await handlerEntered;
    gone.resetAndDestroy();
    while (server.connectionStates().active > 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    assert.equal(await result, null);
    // 2. A frame and a FIN before the upgrade: the frame is echoed, then the server closes (1006: no Close frame came).
    gate = new Promise<void>((resolve) => (release = resolve));
    handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const half = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(half, 'connect');
    half.end(Buffer.concat([Buffer.from(request, 'latin1'), clientFrame('text', 'last words')]));
    await handlerEntered;
    let raw = Buffer.alloc(0);
    half.on('data', (chunk: Buffer) => (raw = Buffer.concat([raw, chunk])));
    const ended = once(half, 'end');
    release();
    await ended;
    const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
    assert.match(raw.toString('latin1'), /^HTTP\/1\.1 101 /);
    assert.ok(body.equals(encodeMessage('text', 'last words')), body.toString('hex'));
    half.destroy();
    while (closes.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closes, [1006]);
    assert.deepEqual(errors, []);
  } finally {
    await server.close(1000);
  }
});

test('a ping flood from a client that never reads does not grow the server\'s buffer past maxBufferedBytes', async () => {
  const limit = 64 * 1024;
  const count = 200_000; // 25 MiB of pongs owed: far more than the kernel's socket buffers hold
  let seen = 0;
  let atEnd = -1;
  let done!: () => void;
  const flooded = new Promise<void>((resolve) => (done = resolve));
  const handlers: WebSocketHandlers = {
    ping(ws) {
      if (++seen === count) {
        atEnd = ws.bufferedAmount;
        done();
      }
    },
  };
  await withWsServer(handlers, { maxBufferedBytes: limit }, async ({ port }) => {
    const { socket } = await rawUpgrade(port);
    try {
      const ping = encodePing(Buffer.alloc(125, 1), { role: 'client' });
      socket.write(Buffer.concat(Array.from({ length: count }, () => ping)));
      await flooded;
      // Pongs stop once more than the limit waits: at most one pong frame past it.
      assert.ok(atEnd <= limit + 127, `buffered ${atEnd} bytes`);
    } finally {
      socket.destroy();
    }
  });
});

test('frame handler: every received frame header (FIN, RSV1, opcode, MASK, length), fragments and controls included; handshake handler gets the 101 as written', async () => {
  const frames: Array<[boolean, number, boolean, number]> = [];
  let responseHead = '';
  const handlers: WebSocketHandlers = {
    handshake: (_ws, head) => void (responseHead = head),
    frame: (_ws, h) => void frames.push([h.fin, h.opcode, h.masked, h.payloadLength]),
    message: (ws, data, isBinary) => void ws.send(data, { binary: isBinary }),
  };
  await withWsServer(handlers, {}, async ({ url }) => {
    const c = await connect(url);
    try {
      const got = nextMessage(c);
      const pong = once(c, 'pong');
      c.send('frag', { fin: false });
      c.ping('between');
      c.send('ment', { fin: false });
      c.send('', { fin: false }); // an empty non-final continuation: not reported (documented)
      c.send('', { fin: true }); // an empty final one: reported at message end
      await Promise.all([pong, got]);
      const got2 = nextMessage(c);
      c.send(Buffer.alloc(300));
      await got2;
      assert.deepEqual(frames, [
        [false, 1, true, 4],
        [true, 9, true, 7],
        [false, 0, true, 4],
        [true, 0, true, 0],
        [true, 2, true, 300],
      ]);
      assert.match(responseHead, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(responseHead, /\r\nSec-WebSocket-Accept: [A-Za-z0-9+/]{27}=\r\n/);
      assert.ok(responseHead.endsWith('\r\n\r\n'));
    } finally {
      await closeClient(c);
    }
  });
});

test('the hand-off lets go of the HTTP connection: only the WebSocket listens on the socket; the server still counts and closes it', async () => {
  // A socket of our own, served by keel (serveSocket), so the test can see its listeners.
  const server = new Server((req, res) => void upgradeWebSocket(req, res, ECHO));
  const accepted: net.Socket[] = [];
  const front = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted.push(s);
    server.serveSocket(s);
  });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const port = (front.address() as net.AddressInfo).port;
  const c = await connect(`ws://127.0.0.1:${port}/`);
  try {
    const echoed = nextMessage(c);
    c.send('still here');
    assert.equal((await echoed)[0].toString(), 'still here');
    const [socket] = accepted;
    // Before: the Connection's 'data'/'error'/'close' listeners and the output batcher's 'drain' kept
    // the Connection (parser, batcher) alive as long as the WebSocket.
    const counts = ['data', 'end', 'error', 'drain'].map((e) => [e, socket!.listenerCount(e)]);
    // 'end': the WebSocket's and node:net's own (onReadableStreamEnd), which the hand-off no longer removes.
    assert.deepEqual(counts, [['data', 1], ['end', 2], ['error', 1], ['drain', 1]]);
    assert.equal(server.connectionStates().upgraded, 1);
    const clientClosed = once(c, 'close');
    const serverClose = server.close(5000);
    assert.equal(((await clientClosed) as [number])[0], 1001);
    await serverClose;
    assert.equal(server.connectionStates().upgraded, 0);
  } finally {
    await closeClient(c);
    await server.close();
    front.close();
  }
});

test('an upgrade answered while the server is closing gets the 1001 close too', async () => {
  let release!: () => void;
  const decided = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const inHandler = new Promise<void>((resolve) => (reached = resolve));
  const server = new Server(async (req, res) => {
    reached();
    await decided; // an async check (auth...) still running when close() starts
    upgradeWebSocket(req, res, ECHO);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const c = new WsClient(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  try {
    const closedAt = once(c, 'close');
    await inHandler;
    const serverClose = server.close(5000);
    release();
    const [code, reason] = (await closedAt) as [number, Buffer];
    assert.deepEqual([code, reason.toString()], [1001, 'server shutting down']);
    await serverClose;
  } finally {
    await closeClient(c);
    await server.close();
  }
});
