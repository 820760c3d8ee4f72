// Tests of the permessage-deflate codec (src/server/websocket-deflate.ts), issue #15 item 5:
// the RFC 7692 §7.2.3 examples, round trips for each negotiated shape with context takeover kept
// or dropped, the inflate limit against a deflate bomb (1009, stopped early), corrupt input (1007),
// ordering of calls made without awaiting, and interop with the `ws` package's PerMessageDeflate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { deflateMessage, PerMessageDeflateCodec } from '../../src/server/websocket-deflate.js';
import { negotiatePerMessageDeflate, parseExtensions, type PerMessageDeflateParams } from '../../src/wire/websocket-handshake.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const DEFAULT_PARAMS: PerMessageDeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const pair = (params: PerMessageDeflateParams, maxMessageBytes?: number): { server: PerMessageDeflateCodec; client: PerMessageDeflateCodec; close(): void } => {
  const server = new PerMessageDeflateCodec({ params, role: 'server', maxMessageBytes });
  const client = new PerMessageDeflateCodec({ params, role: 'client', maxMessageBytes });
  return { server, client, close: () => (server.close(), client.close()) };
};

test('RFC 7692 §7.2.3.1-2: "Hello" twice with context takeover, from the RFC bytes', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS, role: 'client' });
  assert.equal((await c.decompress(hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  // The second message refers back into the first one's window.
  assert.equal((await c.decompress(hex('f2 00 11 00 00'))).toString(), 'Hello');
  c.close();
});

test('RFC 7692 §7.2.3.1: the same message split over two frames', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  assert.equal((await c.decompress([hex('f2 48 cd'), hex('c9 c9 07 00')])).toString(), 'Hello');
  c.close();
});

test('RFC 7692 §7.2.3.3: a stored (uncompressed) block', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  assert.equal((await c.decompress(hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toString(), 'Hello');
  c.close();
});

test('compress: "Hello" is the RFC 7692 §7.2.3.1 bytes, and the trailer is removed', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  assert.equal((await c.compress(Buffer.from('Hello'))).toString('hex'), 'f248cdc9c90700');
  c.close();
});

const SHAPES: Array<{ name: string; params: PerMessageDeflateParams }> = [
  { name: 'defaults', params: DEFAULT_PARAMS },
  { name: 'no context takeover either way', params: { ...DEFAULT_PARAMS, serverNoContextTakeover: true, clientNoContextTakeover: true } },
  { name: 'small windows', params: { ...DEFAULT_PARAMS, serverMaxWindowBits: 9, clientMaxWindowBits: 10 } },
  { name: 'an 8-bit client window is inflated with 9', params: { ...DEFAULT_PARAMS, clientMaxWindowBits: 8 } },
];

const MESSAGES = [Buffer.from('Hello'), Buffer.alloc(0), Buffer.from('Hello'), Buffer.from('x'.repeat(100_000) + 'y'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) & 0xff)), Buffer.from('Hello')];

for (const shape of SHAPES) {
  test(`round trip both ways, several messages in order: ${shape.name}`, async () => {
    const { server, client, close } = pair(shape.params);
    for (const m of MESSAGES) {
      assert.deepEqual(await client.decompress(await server.compress(m)), m);
      assert.deepEqual(await server.decompress(await client.compress(m)), m);
    }
    close();
  });
}

test('context takeover is honoured: kept, a repeat is tiny; dropped, a repeat costs the same', async () => {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(20));
  const kept = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  const a1 = await kept.compress(text);
  const a2 = await kept.compress(text);
  assert.ok(a2.length < a1.length / 4, `second ${a2.length} vs first ${a1.length}`);
  const dropped = new PerMessageDeflateCodec({ params: { ...DEFAULT_PARAMS, serverNoContextTakeover: true } });
  const b1 = await dropped.compress(text);
  const b2 = await dropped.compress(text);
  assert.deepEqual(b2, b1);
  kept.close();
  dropped.close();
});

test('calls made without awaiting run in order', async () => {
  const { server, client, close } = pair(DEFAULT_PARAMS);
  const texts = Array.from({ length: 20 }, (_, i) => Buffer.from(`message ${i} `.repeat(i + 1)));
  const compressed = await Promise.all(texts.map((t) => server.compress(t)));
  const back = await Promise.all(compressed.map((c) => client.decompress(c)));
  assert.deepEqual(back, texts);
  close();
});

test('a deflate bomb stops at maxMessageBytes with 1009, without inflating the rest', async () => {
  // 64 MiB of zeros deflate to about 64 KiB: a small message that must not become 64 MiB here.
  const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  assert.ok(bomb.length < 128 * 1024);
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS, maxMessageBytes: 1024 * 1024 });
  const before = process.memoryUsage().arrayBuffers;
  await assert.rejects(c.decompress(bomb), { name: 'WebSocketMessageTooBigError', code: 'ERR_WS_INFLATED_TOO_BIG', closeCode: 1009 });
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 * 1024 * 1024, `buffers grew by ${grown} bytes`);
  c.close();
});

test('a message exactly at maxMessageBytes inflates', async () => {
  const { server, client, close } = pair(DEFAULT_PARAMS, 1000);
  const m = Buffer.alloc(1000, 0x61);
  assert.deepEqual(await client.decompress(await server.compress(m)), m);
  await assert.rejects(client.decompress(await server.compress(Buffer.alloc(1001, 0x61))), { closeCode: 1009 });
  close();
});

test('bytes that do not inflate fail with 1007', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  await assert.rejects(c.decompress(hex('ff ff ff ff')), { name: 'WebSocketInvalidDataError', code: 'ERR_WS_INFLATE_FAILED', closeCode: 1007 });
  c.close();
});

test('close() rejects what is under way and what comes later', async () => {
  const c = new PerMessageDeflateCodec({ params: DEFAULT_PARAMS });
  const pending = c.compress(Buffer.alloc(1 << 20, 1));
  c.close();
  await assert.rejects(pending, /closed/);
  await assert.rejects(c.decompress(hex('f2 48 cd c9 c9 07 00')), /closed/);
});

test('deflateMessage: compressed once, readable on any connection without server context takeover', async () => {
  const shared = await deflateMessage(Buffer.from('to every subscriber'));
  for (let i = 0; i < 3; i++) {
    const c = new PerMessageDeflateCodec({ params: { ...DEFAULT_PARAMS, serverNoContextTakeover: true }, role: 'client' });
    assert.equal((await c.decompress(shared)).toString(), 'to every subscriber');
    c.close();
  }
});

// ---- interop with ws's PerMessageDeflate ----------------------------------------

const require = createRequire(import.meta.url);
const wsLib = require.resolve('ws').replace(/index\.js$/, 'lib/');
interface WsPmd {
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): unknown;
  compress(data: Buffer, fin: boolean, cb: (err: Error | null, out: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, cb: (err: Error | null, out: Buffer) => void): void;
  cleanup(): void;
}
const WsPerMessageDeflate = require(`${wsLib}permessage-deflate.js`) as new (options: Record<string, unknown>) => WsPmd;
const wsExtension = require(`${wsLib}extension.js`) as { format(o: Record<string, unknown>): string; parse(h: string): Record<string, unknown[]> };

const INTEROP: Array<{ name: string; wsClient: Record<string, unknown>; server?: Parameters<typeof negotiatePerMessageDeflate>[1] }> = [
  { name: 'ws defaults', wsClient: {} },
  { name: 'ws asks for no server context takeover', wsClient: { serverNoContextTakeover: true } },
  { name: 'server limits the client window', wsClient: { clientMaxWindowBits: true }, server: { clientMaxWindowBits: 10 } },
  { name: 'server asks for no client context takeover, small server window', wsClient: { clientNoContextTakeover: true }, server: { clientNoContextTakeover: true, serverMaxWindowBits: 10 } },
];

for (const row of INTEROP) {
  test(`interop with ws as the client: ${row.name}`, async () => {
    const ws = new WsPerMessageDeflate({ ...row.wsClient, threshold: 0 });
    const offer = wsExtension.format({ 'permessage-deflate': [ws.offer()] });
    const negotiated = negotiatePerMessageDeflate(parseExtensions([offer])!, row.server);
    assert.ok(negotiated, `offer ${offer} accepted`);
    // ws, as a client, checks our answer as strictly as it would on the wire.
    ws.accept(wsExtension.parse(negotiated.header)['permessage-deflate']);
    const server = new PerMessageDeflateCodec({ params: negotiated.params, role: 'server' });
    const wsCompress = (d: Buffer): Promise<Buffer> => new Promise((res, rej) => ws.compress(d, true, (e, out) => (e ? rej(e) : res(out))));
    const wsDecompress = (d: Buffer): Promise<Buffer> => new Promise((res, rej) => ws.decompress(d, true, (e, out) => (e ? rej(e) : res(out))));
    for (const m of MESSAGES) {
      assert.deepEqual(await server.decompress(await wsCompress(Buffer.from(m))), m, 'ws -> keel');
      assert.deepEqual(await wsDecompress(await server.compress(m)), m, 'keel -> ws');
    }
    server.close();
    ws.cleanup();
  });
}
