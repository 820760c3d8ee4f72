// The demo's WebSockets (issue #15 item 9) over real sockets, with the `ws` package as the
// client (app.request() cannot upgrade): the guestbook feed sends a new entry to every open
// page; the inspector's echo reports the handshake and every frame's header fields.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { WebSocket as WsClient } from 'ws';
import { createDemo, type Demo, type DemoOptions } from '../../src/demo/app.js';
import { GUESTBOOK_FEED_PATH } from '../../src/demo/controllers/guestbook.js';
import {
  INSPECT_WS_MAX_MESSAGE_BYTES,
  INSPECT_WS_PATH,
  INSPECT_WS_PREVIEW_BYTES,
  type FramesEvent,
  type HandshakeEvent,
} from '../../src/demo/controllers/inspect.js';
import type { EntryEvent } from '../../src/demo/controllers/guestbook.js';
import { backends, withFresh } from '../db/backends.js';

const FIXED_NOW = 1_700_000_000_000;

/** A ws client whose messages are queued, so none is missed between awaits. */
class Client {
  readonly ws: WsClient;
  readonly #messages: Array<[Buffer, boolean]> = [];
  readonly #waiters: Array<(m: [Buffer, boolean]) => void> = [];

  constructor(url: string, headers: Record<string, string>) {
    this.ws = new WsClient(url, { headers, perMessageDeflate: false });
    // A refused handshake ends in an error after 'unexpected-response'; the tests check the status.
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter([data, isBinary]);
      else this.#messages.push([data, isBinary]);
    });
  }

  next(): Promise<[Buffer, boolean]> {
    const m = this.#messages.shift();
    return m !== undefined ? Promise.resolve(m) : new Promise((resolve) => this.#waiters.push(resolve));
  }

  async json<T>(): Promise<T> {
    const [data] = await this.next();
    return JSON.parse(data.toString()) as T;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WsClient.CLOSED) return;
    const done = once(this.ws, 'close');
    this.ws.terminate();
    await done;
  }
}

for (const backend of backends) {
  describe(`demo WebSockets on ${backend.dialect}`, { skip: backend.skip }, () => {
    /** A demo listening on 127.0.0.1; its clients are closed with it. */
    async function withServer(
      fn: (demo: Demo, open: (path: string, headers?: Record<string, string>) => Promise<Client>, refused: (path: string, headers?: Record<string, string>) => Promise<number>) => Promise<void>,
      options: Partial<DemoOptions> = {},
    ): Promise<void> {
      return withFresh(backend, async (f) => {
        const demo = await createDemo({ db: f.db, log: () => {}, now: () => FIXED_NOW, ...options });
        const server = await demo.app.listen(0, '127.0.0.1');
        const base = `ws://127.0.0.1:${server.port}`;
        const origin = `http://127.0.0.1:${server.port}`;
        const clients: Client[] = [];
        const open = async (path: string, headers: Record<string, string> = { origin }): Promise<Client> => {
          const c = new Client(base + path, headers);
          clients.push(c);
          await once(c.ws, 'open');
          return c;
        };
        const refused = async (path: string, headers: Record<string, string> = { origin }): Promise<number> => {
          const c = new Client(base + path, headers);
          clients.push(c);
          const [, res] = (await once(c.ws, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
          res.resume();
          c.ws.terminate();
          return res.statusCode;
        };
        try {
          await fn(demo, open, refused);
        } finally {
          for (const c of clients) await c.close();
          await server.close();
        }
      });
    }

    test('guestbook feed: an entry posted reaches every open guestbook page, as JSON', () =>
      withServer(async (demo, open) => {
        const pages = [await open(GUESTBOOK_FEED_PATH), await open(GUESTBOOK_FEED_PATH)];
        const visit = await demo.app.request('/guestbook');
        const cookie = visit.headers.getSetCookie()[0]!.split(';')[0]!;
        const token = /name="csrf" value="([^"]+)"/.exec(await visit.text())![1]!;
        const res = await demo.app.request('/guestbook', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body: new URLSearchParams({ csrf: token, name: 'Ada <b>', message: 'live!' }).toString(),
          redirect: 'manual',
        });
        assert.equal(res.status, 303);
        for (const page of pages) {
          const event = await page.json<EntryEvent>();
          assert.equal(event.type, 'entry');
          // Raw text: the page builds the entry with textContent, never as HTML.
          assert.deepEqual({ name: event.entry.name, message: event.entry.message, createdMs: event.entry.createdMs }, { name: 'Ada <b>', message: 'live!', createdMs: FIXED_NOW });
        }
      }));

    test('refusals before the upgrade: another origin 403, past maxLiveSockets 503, a plain GET 426', () =>
      withServer(
        async (demo, open, refused) => {
          assert.equal(await refused(GUESTBOOK_FEED_PATH, { origin: 'https://evil.example' }), 403);
          assert.equal(await refused(INSPECT_WS_PATH, { origin: 'https://evil.example' }), 403);
          await open(GUESTBOOK_FEED_PATH, {}); // no Origin: not a browser page, allowed
          assert.equal(await refused(INSPECT_WS_PATH), 503);
          assert.equal((await demo.app.request(GUESTBOOK_FEED_PATH)).status, 426);
        },
        { maxLiveSockets: 1 },
      ));

    test('inspector: the handshake as it crossed the wire (the accept key of the key sent), cookies hidden', () =>
      withServer(async (_demo, open) => {
        const c = await open(INSPECT_WS_PATH, { origin: '', cookie: 'secret=1' }).catch(() => null);
        assert.equal(c, null, 'an empty Origin is not ours: refused');
        const page = await open(INSPECT_WS_PATH, { cookie: 'secret=1' });
        const hs = await page.json<HandshakeEvent>();
        assert.equal(hs.type, 'handshake');
        assert.match(hs.request, /^GET \/inspect\/ws\/echo HTTP\/1\.1\r\n/);
        assert.match(hs.request, /\r\nUpgrade: websocket\r\n/i);
        assert.doesNotMatch(hs.request, /secret=1/);
        assert.deepEqual(hs.redacted.map((n) => n.toLowerCase()), ['cookie']);
        const key = /\r\nSec-WebSocket-Key: ([^\r]+)\r\n/i.exec(hs.request)![1]!;
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        assert.match(hs.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
        assert.ok(hs.response.includes(`\r\nSec-WebSocket-Accept: ${accept}\r\n`), hs.response);
        assert.ok(hs.response.endsWith('\r\n\r\n'));
      }));

    test('inspector: each message is reported frame by frame (FIN, opcode, MASK, length, payload start), then echoed', () =>
      withServer(async (_demo, open) => {
        const page = await open(INSPECT_WS_PATH);
        await page.json<HandshakeEvent>();
        const frame = (fin: boolean, opcode: number, payloadLength: number, masked = true) => ({ fin, rsv1: false, opcode, masked, payloadLength });
        const binary = Buffer.alloc(100, 0xab);
        const rows: Array<{ name: string; send: () => void; want: Omit<FramesEvent, 'type'>; echo: [string, boolean] }> = [
          {
            name: 'a text message in two frames',
            send: () => {
              page.ws.send('ab', { fin: false });
              page.ws.send('cd', { fin: true });
            },
            want: {
              frames: [frame(false, 1, 2), frame(true, 0, 2)],
              omittedFrames: 0,
              message: { isBinary: false, bytes: 4, preview: 'abcd', isTruncated: false },
              echo: frame(true, 1, 4, false),
            },
            echo: ['abcd', false],
          },
          {
            name: 'a binary message past the preview',
            send: () => page.ws.send(binary),
            want: {
              frames: [frame(true, 2, 100)],
              omittedFrames: 0,
              message: { isBinary: true, bytes: 100, preview: 'ab'.repeat(INSPECT_WS_PREVIEW_BYTES), isTruncated: true },
              echo: frame(true, 2, 100, false),
            },
            echo: [binary.toString('hex'), true],
          },
        ];
        for (const { name, send, want, echo } of rows) {
          send();
          const report = await page.json<FramesEvent>();
          assert.deepEqual(report, { type: 'frames', ...want }, name);
          const [data, isBinary] = await page.next();
          assert.deepEqual([isBinary ? data.toString('hex') : data.toString(), isBinary], echo, name);
        }
      }));

    test('inspector: a message over INSPECT_WS_MAX_MESSAGE_BYTES closes 1009', () =>
      withServer(async (_demo, open) => {
        const page = await open(INSPECT_WS_PATH);
        await page.json<HandshakeEvent>();
        const closed = once(page.ws, 'close');
        page.ws.send(Buffer.alloc(INSPECT_WS_MAX_MESSAGE_BYTES + 1));
        const [code] = (await closed) as [number];
        assert.equal(code, 1009);
      }));

    test('the pages name their scripts, which are served', () =>
      withServer(async (demo) => {
        const rows = [
          { name: 'guestbook', input: '/guestbook', want: '/guestbook-live.js' },
          { name: 'inspector', input: '/inspect/ws', want: '/inspect-ws.js' },
        ];
        for (const { name, input, want } of rows) {
          const html = await (await demo.app.request(input)).text();
          assert.ok(html.includes(`<script src="${want}" defer></script>`), name);
          const js = await demo.app.request(want);
          assert.equal(js.status, 200, name);
          assert.match(js.headers.get('content-type') ?? '', /javascript/);
          await js.arrayBuffer();
        }
      }));
  });
}
