// Tests of the WebSocket frame serializer (src/wire/websocket-serializer.ts), issue #15 item 1:
// exact bytes against RFC 6455 §5.7, argument validation, and a fast-check property pairing the
// serializer with the parser (what one writes the other reads, in any split, either role).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_CLOSE_REASON_BYTES, encodeClose, encodeFragments, encodeFrame, encodeMessage, encodePing, encodePong } from '../../src/wire/websocket-serializer.js';
import type { WebSocketRole } from '../../src/wire/websocket-frame.js';
import { splitAtAll } from './harness.js';
import { fnv1a, parseWsPieces, TEST_KEY } from './websocket-harness.js';

const hex = (s: string): string => s.replace(/\s+/g, '');
const CLIENT_KEY = { role: 'client' as const, maskKey: TEST_KEY };

const EXACT: Array<{ name: string; input: () => Buffer | Buffer[]; want: string | string[] }> = [
  { name: '§5.7 unmasked "Hello"', input: () => encodeMessage('text', 'Hello'), want: '81 05 48 65 6c 6c 6f' },
  { name: '§5.7 masked "Hello"', input: () => encodeMessage('text', 'Hello', CLIENT_KEY), want: '81 85 37 fa 21 3d 7f 9f 4d 51 58' },
  { name: '§5.7 fragmented "Hello"', input: () => encodeFragments('text', 'Hello', 3), want: ['01 03 48 65 6c', '80 02 6c 6f'] },
  { name: '§5.7 unmasked ping "Hello"', input: () => encodePing('Hello'), want: '89 05 48 65 6c 6c 6f' },
  { name: '§5.7 masked pong "Hello"', input: () => encodePong('Hello', CLIENT_KEY), want: '8a 85 37 fa 21 3d 7f 9f 4d 51 58' },
  { name: 'binary 125 bytes: 7-bit length', input: () => encodeMessage('binary', Buffer.alloc(125)).subarray(0, 2), want: '82 7d' },
  { name: '§5.7 binary 256 bytes: 16-bit length', input: () => encodeMessage('binary', Buffer.alloc(256)).subarray(0, 4), want: '82 7e 01 00' },
  { name: 'binary 65535 bytes: 16-bit length', input: () => encodeMessage('binary', Buffer.alloc(65535)).subarray(0, 4), want: '82 7e ff ff' },
  { name: '§5.7 binary 65536 bytes: 64-bit length', input: () => encodeMessage('binary', Buffer.alloc(65536)).subarray(0, 10), want: '82 7f 00 00 00 00 00 01 00 00' },
  { name: 'compressed message sets RSV1', input: () => encodeMessage('binary', Buffer.from([1]), { compressed: true }), want: 'c2 01 01' },
  { name: 'compressed fragments: RSV1 on the first only', input: () => encodeFragments('binary', Buffer.from([1, 2]), 1, { compressed: true }), want: ['42 01 01', '80 01 02'] },
  { name: 'empty message in fragments is one frame', input: () => encodeFragments('text', '', 10), want: ['81 00'] },
  { name: 'text with multi-byte characters counts bytes', input: () => encodeMessage('text', 'é€'), want: '81 05 c3 a9 e2 82 ac' },
  { name: 'close without code', input: () => encodeClose(), want: '88 00' },
  { name: 'close 1000 "bye"', input: () => encodeClose(1000, 'bye'), want: '88 05 03 e8 62 79 65' },
  { name: 'close 4999', input: () => encodeClose(4999), want: '88 02 13 87' },
  { name: 'close 1012 (IANA: service restart)', input: () => encodeClose(1012), want: '88 02 03 f4' },
];

for (const row of EXACT) {
  test(`websocket serializer: ${row.name}`, () => {
    const got = row.input();
    if (Array.isArray(got)) assert.deepEqual(got.map((b) => b.toString('hex')), (row.want as string[]).map(hex));
    else assert.equal(got.toString('hex'), hex(row.want as string));
  });
}

const REFUSED: Array<{ name: string; input: () => unknown; want: RegExp }> = [
  { name: 'close code 1005', input: () => encodeClose(1005), want: /may not be sent/ },
  { name: 'close code 1006', input: () => encodeClose(1006), want: /may not be sent/ },
  { name: 'close code 1015', input: () => encodeClose(1015), want: /may not be sent/ },
  { name: 'close code 1004', input: () => encodeClose(1004), want: /may not be sent/ },
  { name: 'close code 2999', input: () => encodeClose(2999), want: /may not be sent/ },
  { name: 'close code 5000', input: () => encodeClose(5000), want: /may not be sent/ },
  { name: 'close code 1000.5', input: () => encodeClose(1000.5), want: /may not be sent/ },
  { name: 'close reason without code', input: () => encodeClose(undefined, 'x'), want: /needs a code/ },
  { name: 'close reason of 124 bytes', input: () => encodeClose(1000, 'x'.repeat(MAX_CLOSE_REASON_BYTES + 1)), want: /at most 123/ },
  { name: 'close reason of 62 two-byte characters (124 bytes)', input: () => encodeClose(1000, 'é'.repeat(62)), want: /at most 123/ },
  { name: 'ping of 126 bytes', input: () => encodePing(Buffer.alloc(126)), want: /at most 125/ },
  { name: 'fragmented ping', input: () => encodeFrame(0x9, '', { fin: false }), want: /cannot be fragmented/ },
  { name: 'reserved opcode', input: () => encodeFrame(0x3, ''), want: /reserved/ },
  { name: 'RSV1 on a continuation', input: () => encodeFrame(0x0, '', { rsv1: true }), want: /RSV1/ },
  { name: 'RSV1 on a ping', input: () => encodeFrame(0x9, '', { rsv1: true }), want: /RSV1/ },
  { name: 'masking key with the server role', input: () => encodeMessage('text', 'x', { maskKey: TEST_KEY }), want: /does not mask/ },
  { name: 'masking key of 3 bytes', input: () => encodeMessage('text', 'x', { role: 'client', maskKey: new Uint8Array(3) }), want: /4 bytes/ },
  { name: 'fragment size 0', input: () => encodeFragments('text', 'x', 0), want: /positive/ },
];

for (const row of REFUSED) {
  test(`websocket serializer refuses: ${row.name}`, () => {
    assert.throws(row.input, row.want);
  });
}

test('websocket serializer: close reason of exactly 123 bytes is allowed', () => {
  assert.equal(encodeClose(1000, 'x'.repeat(123)).length, 2 + 125);
});

test('websocket serializer: client frames get a fresh random key each, and parse back', () => {
  const a = encodeMessage('text', 'same', { role: 'client' });
  const b = encodeMessage('text', 'same', { role: 'client' });
  assert.equal(a[1] & 0x80, 0x80);
  assert.notDeepEqual(a.subarray(2, 6), b.subarray(2, 6), 'two frames share a masking key (1 in 2^32)');
  assert.deepEqual(parseWsPieces([a, b], { role: 'server' }).records, ['text:same', 'text:same']);
});

test('websocket serializer: a server message is one Buffer reusable for many connections', () => {
  const frame = encodeMessage('text', 'to everyone');
  for (let i = 0; i < 3; i++) assert.deepEqual(parseWsPieces([frame], { role: 'client' }).records, ['text:to everyone']);
  assert.equal(frame.toString('latin1', 2), 'to everyone', 'parsing did not change it (unmasked: nothing to unmask)');
});

// ---- property: serializer and parser agree ---------------------------------------

interface MsgModel {
  kind: 'text' | 'binary' | 'ping' | 'pong';
  data: Buffer;
  /** Fragment size for data messages; 0: one frame. */
  fragmentBytes: number;
  /** A ping inserted after the first fragment (interleaved control frame). */
  interleavePing: boolean;
}

const msgArb: fc.Arbitrary<MsgModel> = fc.oneof(
  fc.record({
    kind: fc.constant<'text'>('text'),
    data: fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => Buffer.from(s, 'utf8')),
    fragmentBytes: fc.nat(20),
    interleavePing: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant<'binary'>('binary'),
    data: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 120, max: 70_000 }).map((n) => new Uint8Array(n).fill(n & 0xff))).map((u) => Buffer.from(u)),
    fragmentBytes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70_000 })),
    interleavePing: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom<'ping' | 'pong'>('ping', 'pong'),
    data: fc.uint8Array({ maxLength: 125 }).map((u) => Buffer.from(u)),
    fragmentBytes: fc.constant(0),
    interleavePing: fc.constant(false),
  }),
);

function encodeModel(m: MsgModel, role: WebSocketRole): { frames: Buffer[]; records: string[] } {
  if (m.kind === 'ping') return { frames: [encodePing(m.data, { role })], records: [`ping:${m.data.toString('hex')}`] };
  if (m.kind === 'pong') return { frames: [encodePong(m.data, { role })], records: [`pong:${m.data.toString('hex')}`] };
  const frames = m.fragmentBytes === 0 ? [encodeMessage(m.kind, m.data, { role })] : encodeFragments(m.kind, m.data, m.fragmentBytes, { role });
  const records: string[] = [];
  if (m.interleavePing && frames.length > 1) {
    frames.splice(1, 0, encodePing('i', { role }));
    records.push('ping:69');
  }
  const d = m.data;
  records.push(m.kind === 'text' ? `text:${d.toString('utf8')}` : `binary:${d.length <= 64 ? d.toString('hex') : `${d.length}:${fnv1a(d)}`}`);
  return { frames, records };
}

test('property: whatever the serializer writes, the parser reads back, in any split, either role', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<WebSocketRole>('server', 'client'),
      fc.array(msgArb, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 8 }),
      (role, msgs, closeAtEnd, cutSeeds) => {
        const frames: Buffer[] = [];
        const want: string[] = [];
        for (const m of msgs) {
          const e = encodeModel(m, role);
          frames.push(...e.frames);
          want.push(...e.records);
        }
        if (closeAtEnd) {
          frames.push(encodeClose(1000, 'done', { role }));
          want.push('close:1000:done');
        }
        const bytes = Buffer.concat(frames);
        const cuts = [...new Set(cutSeeds.map((s) => s % (bytes.length + 1)))].sort((a, b) => a - b);
        // The writer's role is the reader's opposite: a client's frames go to a server.
        const got = parseWsPieces(splitAtAll(bytes, cuts), { role: role === 'client' ? 'server' : 'client' });
        assert.equal(got.error, null);
        assert.deepEqual(got.records, want);
        assert.equal(got.state, closeAtEnd ? 'closed' : 'header');
      },
    ),
    { numRuns: 300 },
  );
});
