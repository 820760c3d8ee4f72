// Cross-check of the WebSocket codec against the `ws` npm package (devDependency, test only), issue #15:
// frames ws's Sender writes parse with keel's parser; frames keel's serializer writes are accepted by
// ws's Receiver with the same messages; and on a table of invalid frames both fail with the same
// close code. ws's classes are loaded from node_modules/ws/lib by path (its package exports hide them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { encodeClose, encodeFragments, encodeMessage, encodePing, encodePong } from '../../src/wire/websocket-serializer.js';
import type { WebSocketRole } from '../../src/wire/websocket-frame.js';
import { bytewise } from './harness.js';
import { fnv1a, parseWsPieces, rawFrame } from './websocket-harness.js';

const require = createRequire(import.meta.url);
const wsLib = require.resolve('ws').replace(/index\.js$/, 'lib/');
interface WsFrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  rsv1?: boolean;
  readOnly: boolean;
}
const Sender = require(`${wsLib}sender.js`) as { frame(data: Buffer, options: WsFrameOptions): Buffer[] };
type ReceiverT = import('node:stream').Writable;
const Receiver = require(`${wsLib}receiver.js`) as new (options: { isServer: boolean; maxPayload?: number }) => ReceiverT;
const { kStatusCode } = require(`${wsLib}constants.js`) as { kStatusCode: symbol };

const record = (kind: string, d: Buffer): string =>
  kind === 'text' ? `text:${d.toString('utf8')}` : `${kind}:${d.length <= 64 ? d.toString('hex') : `${d.length}:${fnv1a(d)}`}`;

/** ws's framing of one frame, as one Buffer (ws masks its input in place: give it a copy). */
const wsFrame = (data: Buffer, opcode: number, mask: boolean, fin = true): Buffer =>
  Buffer.concat(Sender.frame(Buffer.from(data), { fin, opcode, mask, readOnly: false }));

const big = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31) & 0xff));

const FROM_WS: Array<{ name: string; input: (mask: boolean) => Buffer[]; want: string[] }> = [
  { name: 'text', input: (m) => [wsFrame(Buffer.from('héllo wörld'), 1, m)], want: ['text:héllo wörld'] },
  ...[0, 1, 125, 126, 65535, 65536, 1 << 20].map((n) => ({ name: `binary ${n} bytes`, input: (m: boolean) => [wsFrame(big(n), 2, m)], want: [record('binary', big(n))] })),
  { name: 'fragmented text with a ping between', input: (m) => [wsFrame(Buffer.from('ab'), 1, m, false), wsFrame(Buffer.from('p'), 9, m), wsFrame(Buffer.from('cd'), 0, m)], want: ['ping:70', 'text:abcd'] },
  { name: 'pong', input: (m) => [wsFrame(Buffer.from('x'), 10, m)], want: ['pong:78'] },
  { name: 'close 1001 "away"', input: (m) => [wsFrame(Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from('away')]), 8, m)], want: ['close:1001:away'] },
];

for (const row of FROM_WS) {
  for (const role of ['client', 'server'] as const) {
    test(`ws Sender (${role}) -> keel parser: ${row.name}`, () => {
      // A ws client masks (keel reads as a server), a ws server does not (keel reads as a client).
      const bytes = Buffer.concat(row.input(role === 'client'));
      const opts = { role: (role === 'client' ? 'server' : 'client') as WebSocketRole };
      const whole = parseWsPieces([bytes], opts);
      assert.equal(whole.error, null);
      assert.deepEqual(whole.records, row.want);
      if (bytes.length < 4096) assert.deepEqual(parseWsPieces(bytewise(bytes), opts).records, row.want);
    });
  }
}

interface WsResult {
  records: string[];
  closeCode: number | null;
}

/** Feeds bytes to a ws Receiver and collects its events until the write completes or fails. */
async function wsReceive(bytes: Buffer, isServer: boolean): Promise<WsResult> {
  const r = new Receiver({ isServer, maxPayload: 0 });
  const records: string[] = [];
  r.on('message', (data: Buffer, isBinary: boolean) => records.push(record(isBinary ? 'binary' : 'text', data)));
  r.on('ping', (d: Buffer) => records.push(`ping:${d.toString('hex')}`));
  r.on('pong', (d: Buffer) => records.push(`pong:${d.toString('hex')}`));
  r.on('conclude', (code: number, reason: Buffer) => records.push(`close:${code}:${reason.toString('utf8')}`));
  r.on('error', () => {}); // the write callback reports it
  const closeCode = await new Promise<number | null>((resolve) => {
    r.write(Buffer.from(bytes), (err?: Error | null) => resolve(err ? ((err as unknown as Record<symbol, number>)[kStatusCode] ?? -1) : null));
  });
  r.destroy();
  return { records, closeCode };
}

const TO_WS: Array<{ name: string; input: (role: WebSocketRole) => Buffer[]; want: string[] }> = [
  { name: 'text', input: (role) => [encodeMessage('text', 'héllo 𝄞', { role })], want: ['text:héllo 𝄞'] },
  ...[0, 125, 126, 65535, 65536, 1 << 20].map((n) => ({ name: `binary ${n} bytes`, input: (role: WebSocketRole) => [encodeMessage('binary', big(n), { role })], want: [record('binary', big(n))] })),
  {
    name: 'text in 3-byte fragments (code points cut) with a ping after the first',
    input: (role) => {
      const f = encodeFragments('text', 'κόσμε', 3, { role });
      return [f[0], encodePing('p', { role }), ...f.slice(1)];
    },
    want: ['ping:70', 'text:κόσμε'],
  },
  { name: 'pong', input: (role) => [encodePong(Buffer.from([1, 2]), { role })], want: ['pong:0102'] },
  { name: 'close 4000 with a UTF-8 reason', input: (role) => [encodeClose(4000, 'fin ✓', { role })], want: ['close:4000:fin ✓'] },
  { name: 'close without code', input: (role) => [encodeClose(undefined, '', { role })], want: ['close:1005:'] },
];

for (const row of TO_WS) {
  for (const role of ['client', 'server'] as const) {
    test(`keel serializer (${role}) -> ws Receiver: ${row.name}`, async () => {
      const got = await wsReceive(Buffer.concat(row.input(role)), role === 'client');
      assert.deepEqual(got, { records: row.want, closeCode: null });
    });
  }
}

// Invalid frames (client to server): keel's parser and ws's Receiver fail with the same close code.
const INVALID: Array<{ name: string; input: Buffer }> = [
  { name: 'reserved opcode 3', input: rawFrame({ opcode: 3 }) },
  { name: 'RSV1 with no extension', input: rawFrame({ opcode: 1, rsv: 4, payload: 'x' }) },
  { name: 'unmasked frame', input: rawFrame({ opcode: 2, mask: null, payload: 'x' }) },
  { name: 'fragmented ping', input: rawFrame({ opcode: 9, fin: false }) },
  { name: 'ping of 126 bytes', input: rawFrame({ opcode: 9, payload: Buffer.alloc(126) }) },
  { name: 'continuation without a message', input: rawFrame({ opcode: 0, payload: 'x' }) },
  { name: 'text frame inside a fragmented message', input: Buffer.concat([rawFrame({ opcode: 1, fin: false, payload: 'a' }), rawFrame({ opcode: 1, payload: 'b' })]) },
  { name: 'invalid UTF-8 in the 2nd fragment', input: Buffer.concat([rawFrame({ opcode: 1, fin: false, payload: 'ok' }), rawFrame({ opcode: 0, payload: '\xed\xa0\x80' })]) },
  { name: 'close code 1005 on the wire', input: rawFrame({ opcode: 8, payload: '\x03\xed' }) },
  { name: 'close code 1004', input: rawFrame({ opcode: 8, payload: '\x03\xec' }) },
  { name: 'close with one byte', input: rawFrame({ opcode: 8, payload: '\x03' }) },
  { name: 'close reason not UTF-8', input: rawFrame({ opcode: 8, payload: '\x03\xe8\xff' }) },
];

for (const row of INVALID) {
  test(`keel and ws agree on the close code: ${row.name}`, async () => {
    const keel = parseWsPieces([row.input], { role: 'server' });
    const ws = await wsReceive(row.input, true);
    assert.notEqual(keel.error, null);
    assert.equal(keel.error!.closeCode, ws.closeCode);
  });
}

// Where keel is deliberately stricter or more specific than ws (docs/websocket.md): pinned so a change shows.
const DIFFERENCES: Array<{ name: string; input: Buffer; want: { keel: number; ws: number | null } }> = [
  // RFC 6455 §5.2 "the most significant bit MUST be 0": keel calls it a protocol error, ws "too big".
  { name: '64-bit length with the MSB set', input: rawFrame({ opcode: 2, length: 1n << 63n }), want: { keel: 1002, ws: 1009 } },
  // §5.2 "the minimal number of bytes MUST be used": keel refuses other encodings, ws reads them.
  { name: '16-bit length for 5 bytes', input: rawFrame({ opcode: 2, payload: 'abcde', lengthBits: 16 }), want: { keel: 1002, ws: null } },
  { name: '64-bit length for 5 bytes', input: rawFrame({ opcode: 2, payload: 'abcde', lengthBits: 64 }), want: { keel: 1002, ws: null } },
];

for (const row of DIFFERENCES) {
  test(`keel differs from ws on purpose: ${row.name}`, async () => {
    const keel = parseWsPieces([row.input], { role: 'server' });
    const ws = await wsReceive(row.input, true);
    assert.deepEqual({ keel: keel.error?.closeCode ?? null, ws: ws.closeCode }, row.want);
  });
}
