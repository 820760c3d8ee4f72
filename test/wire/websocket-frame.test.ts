// Table-driven tests of the WebSocket frame parser (src/wire/websocket-frame.ts), issue #15 item 1.
// Every row is fed whole, byte by byte, and split at every offset (or a sample of offsets for long
// inputs), and must give the same outcome each way (STYLE.md rule 7). Frames are written by
// harness.rawFrame, byte by byte, so rows can hold frames the serializer refuses to make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocketParserOptions } from '../../src/wire/websocket-frame.js';
import { WebSocketParser, WS_NEED_DATA } from '../../src/wire/websocket-frame.js';
import { isValidUtf8, Utf8Validator } from '../../src/wire/websocket-utf8.js';
import { applyMask } from '../../src/wire/websocket-mask.js';
import { bytewise, splitAt } from './harness.js';
import { fnv1a, parseWsPieces, rawFrame, wsOutcomeKey, type WsOutcome } from './websocket-harness.js';

const SERVER: WebSocketParserOptions = { role: 'server' };
const CLIENT: WebSocketParserOptions = { role: 'client' };
const DEFLATE: WebSocketParserOptions = { role: 'server', perMessageDeflate: true };

const T = 0x1, B = 0x2, C = 0x0, CLOSE = 0x8, PING = 0x9, PONG = 0xa;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const closePayload = (code: number, reason: Buffer | string = ''): Buffer => {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(code);
  return cat(p, typeof reason === 'string' ? utf8(reason) : reason);
};
const bin = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));
const binRecord = (b: Buffer): string => `binary:${b.length <= 64 ? b.toString('hex') : `${b.length}:${fnv1a(b)}`}`;

interface Want {
  records: string[];
  error?: string;
  closeCode?: number;
  state?: string;
  pending?: boolean;
}
interface Row {
  name: string;
  input: { bytes: Buffer; options?: WebSocketParserOptions };
  want: Want;
}

const err = (code: string, closeCode: number, records: string[] = []): Want => ({ records, error: code, closeCode, state: 'error' });

const ROWS: Row[] = [
  // RFC 6455 §5.7 examples, exact bytes.
  { name: '§5.7 single-frame masked text "Hello"', input: { bytes: hex('81 85 37 fa 21 3d 7f 9f 4d 51 58') }, want: { records: ['text:Hello'] } },
  { name: '§5.7 single-frame unmasked text, client role', input: { bytes: hex('81 05 48 65 6c 6c 6f'), options: CLIENT }, want: { records: ['text:Hello'] } },
  { name: '§5.7 fragmented unmasked text, client role', input: { bytes: hex('01 03 48 65 6c 80 02 6c 6f'), options: CLIENT }, want: { records: ['text:Hello'] } },
  { name: '§5.7 unmasked ping, client role', input: { bytes: hex('89 05 48 65 6c 6c 6f'), options: CLIENT }, want: { records: ['ping:48656c6c6f'] } },
  { name: '§5.7 masked pong', input: { bytes: hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58') }, want: { records: ['pong:48656c6c6f'] } },
  { name: '§5.7 256 bytes binary, 16-bit length, client role', input: { bytes: cat(hex('82 7e 01 00'), bin(256)), options: CLIENT }, want: { records: [binRecord(bin(256))] } },
  { name: '§5.7 64 KiB binary, 64-bit length, client role', input: { bytes: cat(hex('82 7f 00 00 00 00 00 01 00 00'), bin(65536)), options: CLIENT }, want: { records: [binRecord(bin(65536))] } },
  // Length edges (Autobahn 1.1.x / 1.2.x): the last 7-bit, the first and last 16-bit, the first 64-bit.
  ...[0, 125, 126, 65535, 65536].map((n): Row => ({
    name: `binary of ${n} bytes, minimal length encoding`,
    input: { bytes: rawFrame({ opcode: B, payload: bin(n) }) },
    want: { records: [binRecord(bin(n))] },
  })),
  { name: 'empty text message', input: { bytes: rawFrame({ opcode: T }) }, want: { records: ['text:'] } },
  { name: 'empty fragments around a payload', input: { bytes: cat(rawFrame({ opcode: T, fin: false }), rawFrame({ opcode: C, fin: false, payload: 'ab' }), rawFrame({ opcode: C })) }, want: { records: ['text:ab'] } },
  { name: 'two messages back to back', input: { bytes: cat(rawFrame({ opcode: T, payload: 'one' }), rawFrame({ opcode: B, payload: '\x00\xff' })) }, want: { records: ['text:one', 'binary:00ff'] } },
  // Length encodings (§5.2).
  { name: '16-bit length for 125 bytes is not minimal', input: { bytes: rawFrame({ opcode: B, payload: bin(125), lengthBits: 16 }) }, want: err('ERR_WS_NON_MINIMAL_LENGTH', 1002) },
  { name: '64-bit length for 65535 bytes is not minimal', input: { bytes: rawFrame({ opcode: B, payload: bin(65535), lengthBits: 64 }) }, want: err('ERR_WS_NON_MINIMAL_LENGTH', 1002) },
  { name: '64-bit length for 5 bytes is not minimal', input: { bytes: rawFrame({ opcode: B, payload: bin(5), lengthBits: 64 }) }, want: err('ERR_WS_NON_MINIMAL_LENGTH', 1002) },
  { name: '64-bit length with the MSB set', input: { bytes: rawFrame({ opcode: B, length: 1n << 63n }) }, want: err('ERR_WS_INVALID_LENGTH', 1002) },
  { name: '64-bit length of 2^62 is over any limit: 1009 from the header', input: { bytes: rawFrame({ opcode: B, length: 1n << 62n }) }, want: err('ERR_WS_MESSAGE_TOO_BIG', 1009) },
  { name: '64-bit length of 2^40', input: { bytes: rawFrame({ opcode: B, length: 1n << 40n }) }, want: err('ERR_WS_MESSAGE_TOO_BIG', 1009) },
  // Masking (§5.1).
  { name: 'unmasked client frame to a server', input: { bytes: rawFrame({ opcode: T, payload: 'hi', mask: null }) }, want: err('ERR_WS_UNMASKED_FRAME', 1002) },
  { name: 'masked server frame to a client', input: { bytes: rawFrame({ opcode: T, payload: 'hi' }), options: CLIENT }, want: err('ERR_WS_MASKED_FRAME', 1002) },
  { name: 'unmasked close to a server', input: { bytes: rawFrame({ opcode: CLOSE, mask: null }) }, want: err('ERR_WS_UNMASKED_FRAME', 1002) },
  { name: 'all-zero masking key is still a mask', input: { bytes: rawFrame({ opcode: T, payload: 'hi', mask: new Uint8Array(4) }) }, want: { records: ['text:hi'] } },
  // Opcodes (§5.2, Autobahn 4.x).
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op): Row => ({
    name: `reserved opcode ${op}`,
    input: { bytes: rawFrame({ opcode: op, payload: 'x' }) },
    want: err('ERR_WS_RESERVED_OPCODE', 1002),
  })),
  { name: 'reserved opcode after a good message', input: { bytes: cat(rawFrame({ opcode: T, payload: 'ok' }), rawFrame({ opcode: 0xb })) }, want: err('ERR_WS_RESERVED_OPCODE', 1002, ['text:ok']) },
  // RSV bits (§5.2, RFC 7692 §6, Autobahn 3.x).
  { name: 'RSV1 without an extension', input: { bytes: rawFrame({ opcode: T, rsv: 4, payload: 'x' }) }, want: err('ERR_WS_RSV_BITS', 1002) },
  { name: 'RSV2', input: { bytes: rawFrame({ opcode: T, rsv: 2, payload: 'x' }) }, want: err('ERR_WS_RSV_BITS', 1002) },
  { name: 'RSV3 with deflate negotiated', input: { bytes: rawFrame({ opcode: B, rsv: 1 }), options: DEFLATE }, want: err('ERR_WS_RSV_BITS', 1002) },
  { name: 'RSV1 on a text frame with deflate: compressed, UTF-8 not checked here', input: { bytes: rawFrame({ opcode: T, rsv: 4, payload: '\xff\x00' }), options: DEFLATE }, want: { records: ['text+z:ff00'] } },
  { name: 'RSV1 on a fragmented message first frame with deflate', input: { bytes: cat(rawFrame({ opcode: B, rsv: 4, fin: false, payload: '\x01' }), rawFrame({ opcode: C, payload: '\x02' })), options: DEFLATE }, want: { records: ['binary+z:0102'] } },
  { name: 'RSV1 on a continuation with deflate', input: { bytes: cat(rawFrame({ opcode: B, rsv: 4, fin: false }), rawFrame({ opcode: C, rsv: 4 })), options: DEFLATE }, want: err('ERR_WS_RSV_BITS', 1002, ['open:binary']) },
  { name: 'RSV1 on a ping with deflate', input: { bytes: rawFrame({ opcode: PING, rsv: 4 }), options: DEFLATE }, want: err('ERR_WS_RSV_BITS', 1002) },
  // Control frames (§5.5, Autobahn 2.x).
  { name: 'ping with 125 bytes', input: { bytes: rawFrame({ opcode: PING, payload: bin(125) }) }, want: { records: [`ping:${bin(125).toString('hex')}`] } },
  { name: 'ping with 126 bytes', input: { bytes: rawFrame({ opcode: PING, payload: bin(126) }) }, want: err('ERR_WS_CONTROL_TOO_LONG', 1002) },
  { name: 'pong with a 64-bit length', input: { bytes: rawFrame({ opcode: PONG, payload: bin(3), lengthBits: 64 }) }, want: err('ERR_WS_CONTROL_TOO_LONG', 1002) },
  { name: 'fragmented ping', input: { bytes: rawFrame({ opcode: PING, fin: false, payload: 'a' }) }, want: err('ERR_WS_FRAGMENTED_CONTROL', 1002) },
  { name: 'empty ping and pong', input: { bytes: cat(rawFrame({ opcode: PING }), rawFrame({ opcode: PONG })) }, want: { records: ['ping:', 'pong:'] } },
  // Fragmentation (§5.4, Autobahn 5.x).
  { name: 'ping between fragments', input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'Hel' }), rawFrame({ opcode: PING, payload: 'p' }), rawFrame({ opcode: C, payload: 'lo' })) }, want: { records: ['ping:70', 'text:Hello'] } },
  { name: 'pong and ping between three fragments', input: { bytes: cat(rawFrame({ opcode: B, fin: false, payload: '\x01' }), rawFrame({ opcode: PONG }), rawFrame({ opcode: C, fin: false, payload: '\x02' }), rawFrame({ opcode: PING }), rawFrame({ opcode: C, payload: '\x03' })) }, want: { records: ['pong:', 'ping:', 'binary:010203'] } },
  { name: 'continuation without a message', input: { bytes: rawFrame({ opcode: C, payload: 'x' }) }, want: err('ERR_WS_UNEXPECTED_CONTINUATION', 1002) },
  { name: 'continuation after a finished message', input: { bytes: cat(rawFrame({ opcode: T, payload: 'a' }), rawFrame({ opcode: C, payload: 'b' })) }, want: err('ERR_WS_UNEXPECTED_CONTINUATION', 1002, ['text:a']) },
  { name: 'new text frame inside a fragmented message', input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'a' }), rawFrame({ opcode: T, payload: 'b' })) }, want: err('ERR_WS_EXPECTED_CONTINUATION', 1002, ['open:text']) },
  { name: 'new binary frame inside a fragmented message', input: { bytes: cat(rawFrame({ opcode: B, fin: false }), rawFrame({ opcode: B })) }, want: err('ERR_WS_EXPECTED_CONTINUATION', 1002, ['open:binary']) },
  { name: 'message left open at the end of input', input: { bytes: rawFrame({ opcode: T, fin: false, payload: 'ab' }) }, want: { records: ['open:text'], state: 'header', pending: true } },
  { name: 'frame cut inside its payload', input: { bytes: rawFrame({ opcode: B, payload: bin(20) }).subarray(0, 12) }, want: { records: ['open:binary'], state: 'data', pending: true } },
  { name: 'frame cut inside its header', input: { bytes: rawFrame({ opcode: B, payload: bin(300) }).subarray(0, 5) }, want: { records: [], state: 'header', pending: true } },
  // UTF-8 (§5.6, §8.1, Autobahn 6.x).
  { name: 'multi-byte text', input: { bytes: rawFrame({ opcode: T, payload: utf8('κόσμε 𝄞 €') }) }, want: { records: ['text:κόσμε 𝄞 €'] } },
  { name: 'code point split across fragments', input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: utf8('a𝄞').subarray(0, 3) }), rawFrame({ opcode: C, payload: utf8('a𝄞').subarray(3) })) }, want: { records: ['text:a𝄞'] } },
  {
    name: 'invalid UTF-8 in the 2nd fragment fails at that fragment, before the message ends',
    input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: utf8('κόσμε') }), rawFrame({ opcode: C, fin: false, payload: '\xce\xba\xed\xa0\x80' })) },
    want: err('ERR_WS_INVALID_UTF8', 1007, ['open:text']),
  },
  {
    name: 'invalid UTF-8 fails inside a frame whose payload has not all arrived',
    input: { bytes: rawFrame({ opcode: T, payload: cat(utf8('ok'), Buffer.from([0xc0, 0xaf]), bin(100)) }).subarray(0, 12) },
    want: err('ERR_WS_INVALID_UTF8', 1007, ['open:text']),
  },
  { name: 'text ending inside a code point', input: { bytes: rawFrame({ opcode: T, payload: '\xce' }) }, want: err('ERR_WS_INVALID_UTF8', 1007, ['open:text']) },
  { name: 'fragmented text ending inside a code point', input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'a' }), rawFrame({ opcode: C, payload: '\xf0\x9d' })) }, want: err('ERR_WS_INVALID_UTF8', 1007, ['open:text']) },
  ...[
    ['overlong 2-byte /', '\xc0\xaf'],
    ['overlong 3-byte', '\xe0\x80\xaf'],
    ['overlong 4-byte', '\xf0\x80\x80\xaf'],
    ['UTF-16 surrogate', '\xed\xa0\x80'],
    ['past U+10FFFF', '\xf4\x90\x80\x80'],
    ['F5 lead byte', '\xf5\x80\x80\x80'],
    ['lone continuation byte', '\x80'],
    ['FF', '\xff'],
  ].map(([what, bytes]): Row => ({ name: `text with ${what}`, input: { bytes: rawFrame({ opcode: T, payload: `a${bytes}z` }) }, want: err('ERR_WS_INVALID_UTF8', 1007, ['open:text']) })),
  { name: 'binary is not checked for UTF-8', input: { bytes: rawFrame({ opcode: B, payload: '\xc0\xaf' }) }, want: { records: ['binary:c0af'] } },
  // Close frames (§5.5.1, §7.4, Autobahn 7.x).
  { name: 'close without payload reports 1005', input: { bytes: rawFrame({ opcode: CLOSE }) }, want: { records: ['close:1005:'], state: 'closed' } },
  { name: 'close 1000 with a reason', input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(1000, 'bye') }) }, want: { records: ['close:1000:bye'], state: 'closed' } },
  { name: 'close with a UTF-8 reason of 123 bytes', input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(4000, 'é'.repeat(61) + 'x') }) }, want: { records: [`close:4000:${'é'.repeat(61)}x`], state: 'closed' } },
  { name: 'bytes after close are ignored', input: { bytes: cat(rawFrame({ opcode: CLOSE, payload: closePayload(1001) }), rawFrame({ opcode: 0xf }), hex('ffff')) }, want: { records: ['close:1001:'], state: 'closed' } },
  { name: 'close between fragments', input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'a' }), rawFrame({ opcode: CLOSE, payload: closePayload(1000) })) }, want: { records: ['close:1000:', 'open:text'], state: 'closed' } },
  { name: 'close with one byte of payload', input: { bytes: rawFrame({ opcode: CLOSE, payload: '\x03' }) }, want: err('ERR_WS_INVALID_CLOSE_PAYLOAD', 1002) },
  { name: 'close with an invalid UTF-8 reason', input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(1000, Buffer.from([0xce, 0xba, 0xff])) }) }, want: err('ERR_WS_INVALID_CLOSE_REASON', 1007) },
  { name: 'close with a reason cut inside a code point', input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(1000, Buffer.from([0xce])) }) }, want: err('ERR_WS_INVALID_CLOSE_REASON', 1007) },
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].map((code): Row => ({
    name: `close code ${code} is valid`,
    input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(code) }) },
    want: { records: [`close:${code}:`], state: 'closed' },
  })),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code): Row => ({
    name: `close code ${code} is invalid on the wire`,
    input: { bytes: rawFrame({ opcode: CLOSE, payload: closePayload(code) }) },
    want: err('ERR_WS_INVALID_CLOSE_CODE', 1002),
  })),
  // Limits.
  { name: 'message at maxMessageBytes', input: { bytes: rawFrame({ opcode: B, payload: bin(10) }), options: { role: 'server', maxMessageBytes: 10 } }, want: { records: [binRecord(bin(10))] } },
  { name: 'frame over maxMessageBytes: 1009 from the header', input: { bytes: rawFrame({ opcode: B, payload: bin(11) }).subarray(0, 6), options: { role: 'server', maxMessageBytes: 10 } }, want: err('ERR_WS_MESSAGE_TOO_BIG', 1009) },
  {
    name: 'fragments adding up past maxMessageBytes',
    input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'abcdef' }), rawFrame({ opcode: C, payload: 'ghijk' })), options: { role: 'server', maxMessageBytes: 10 } },
    want: err('ERR_WS_MESSAGE_TOO_BIG', 1009, ['open:text']),
  },
  {
    name: 'maxMessageBytes counts each message afresh',
    input: { bytes: cat(rawFrame({ opcode: T, payload: 'abcdefghij' }), rawFrame({ opcode: T, payload: 'abcdefghij' })), options: { role: 'server', maxMessageBytes: 10 } },
    want: { records: ['text:abcdefghij', 'text:abcdefghij'] },
  },
  { name: 'control frames do not count toward maxMessageBytes', input: { bytes: rawFrame({ opcode: PING, payload: bin(20) }), options: { role: 'server', maxMessageBytes: 10 } }, want: { records: [`ping:${bin(20).toString('hex')}`] } },
  {
    name: 'frames over maxFramesPerMessage',
    input: { bytes: cat(rawFrame({ opcode: T, fin: false }), rawFrame({ opcode: C, fin: false }), rawFrame({ opcode: C })), options: { role: 'server', maxFramesPerMessage: 2 } },
    want: err('ERR_WS_TOO_MANY_FRAMES', 1009, ['open:text']),
  },
  {
    name: 'frames at maxFramesPerMessage',
    input: { bytes: cat(rawFrame({ opcode: T, fin: false, payload: 'a' }), rawFrame({ opcode: PING }), rawFrame({ opcode: C, payload: 'b' })), options: { role: 'server', maxFramesPerMessage: 2 } },
    want: { records: ['ping:', 'text:ab'] },
  },
];

/** Deliveries of one input: whole, byte by byte, and two pieces at every offset (every 97th past 300 bytes). */
function deliveries(bytes: Buffer): Array<{ name: string; pieces: Buffer[] }> {
  const out = [{ name: 'whole', pieces: [bytes] }, { name: 'bytewise', pieces: bytewise(bytes) }];
  const step = bytes.length > 300 ? 97 : 1;
  for (let i = 1; i < bytes.length; i += step) out.push({ name: `split at ${i}`, pieces: splitAt(bytes, i) });
  return out;
}

for (const row of ROWS) {
  test(`websocket parser: ${row.name}`, () => {
    const opts = row.input.options ?? SERVER;
    const ref = parseWsPieces([row.input.bytes], opts);
    const want: WsOutcome = {
      records: row.want.records,
      error: row.want.error === undefined ? null : { code: row.want.error, closeCode: row.want.closeCode! },
      state: row.want.state ?? (row.want.error !== undefined ? 'error' : 'header'),
      pending: row.want.pending ?? false,
    };
    assert.deepEqual(ref, want);
    for (const d of deliveries(row.input.bytes)) {
      assert.equal(wsOutcomeKey(parseWsPieces(d.pieces, opts)), wsOutcomeKey(ref), d.name);
    }
  });
}

test('websocket parser: a payload whole in one input is a view of it, not a copy', () => {
  const frame = rawFrame({ opcode: B, payload: bin(1000) });
  const p = new WebSocketParser(SERVER);
  p.receive(frame);
  assert.equal((p.nextEvent() as { type: string }).type, 'message-start');
  const ev = p.nextEvent();
  assert.ok(ev !== WS_NEED_DATA && ev.type === 'message-data');
  assert.equal(ev.data.buffer, frame.buffer);
  assert.equal(ev.data.byteOffset, frame.byteOffset + 8);
  assert.deepEqual(ev.data, bin(1000));
});

test('websocket parser: lastFrame describes the frame read last', () => {
  const p = new WebSocketParser(SERVER);
  p.receive(rawFrame({ opcode: T, fin: false, payload: 'abc' }));
  p.nextEvent();
  assert.deepEqual(p.lastFrame, { fin: false, rsv1: false, opcode: T, masked: true, payloadLength: 3 });
});

test('websocket parser: a dead parser ignores input and rethrows', () => {
  const p = new WebSocketParser(SERVER);
  p.receive(rawFrame({ opcode: 3 }));
  assert.throws(() => p.nextEvent(), { code: 'ERR_WS_RESERVED_OPCODE', closeCode: 1002 });
  p.receive(rawFrame({ opcode: T, payload: 'x' }));
  assert.throws(() => p.nextEvent(), { code: 'ERR_WS_RESERVED_OPCODE' });
  assert.equal(p.state, 'error');
});

test('websocket parser: a 16 MiB message (the keel echo contract) in 64 KiB reads', () => {
  const payload = Buffer.alloc(16 * 1024 * 1024, 0x61);
  const frame = rawFrame({ opcode: T, payload });
  const p = new WebSocketParser(SERVER);
  let bytes = 0;
  let ended = false;
  for (let i = 0; i < frame.length; i += 65536) {
    p.receive(frame.subarray(i, i + 65536));
    for (let ev = p.nextEvent(); ev !== WS_NEED_DATA; ev = p.nextEvent()) {
      if (ev.type === 'message-data') bytes += ev.data.length;
      if (ev.type === 'message-end') ended = true;
    }
  }
  assert.equal(bytes, payload.length);
  assert.ok(ended);
});

test('applyMask: word and byte paths agree at every alignment, offset and length', () => {
  const key = Uint8Array.of(0x12, 0x34, 0x56, 0x78);
  const backing = Buffer.alloc(200);
  for (let align = 0; align < 4; align++) {
    for (let len = 0; len < 80; len += 7) {
      for (let off = 0; off < 4; off++) {
        const data = bin(len);
        const buf = backing.subarray(align, align + len);
        buf.set(data);
        const next = applyMask(buf, 0, len, key, off);
        for (let i = 0; i < len; i++) assert.equal(buf[i], data[i] ^ key[(off + i) & 3], `align ${align} len ${len} off ${off} byte ${i}`);
        assert.equal(next, (off + len) & 3);
      }
    }
  }
});

test('Utf8Validator: agrees with TextDecoder(fatal) on every 1-3 byte sequence from an interesting byte set', () => {
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff];
  const dec = new TextDecoder('utf-8', { fatal: true });
  const ok = (b: Uint8Array): boolean => {
    try {
      dec.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  for (const a of interesting) for (const b of interesting) for (const c of [...interesting, -1]) {
    const bytes = Uint8Array.from(c < 0 ? [a, b] : [a, b, c]);
    assert.equal(isValidUtf8(bytes), ok(bytes), Buffer.from(bytes).toString('hex'));
  }
  // 4-byte forms around the edges.
  for (const s of ['f0908080', 'f08f8080', 'f48fbfbf', 'f4908080', 'f1808080', 'f3bfbfbf', 'eda080', 'ed9fbf', 'ee8080', 'e09f80', 'e0a080']) {
    const bytes = Buffer.from(s, 'hex');
    assert.equal(isValidUtf8(bytes), ok(bytes), s);
  }
});

test('Utf8Validator: a prefix of valid UTF-8 is never rejected, whatever the split', () => {
  const text = utf8('aé€𝄞κόσμε\u{10ffff}\u{fffd}');
  for (let cut = 0; cut <= text.length; cut++) {
    const v = new Utf8Validator();
    assert.ok(v.write(text, 0, cut));
    assert.ok(v.write(text, cut));
    assert.ok(v.isComplete);
  }
});

test('Utf8Validator: the 4-byte ASCII skip of long inputs sees a non-ASCII byte at every position and alignment', () => {
  const backing = Buffer.alloc(200);
  for (let align = 0; align < 4; align++) {
    for (let pos = 0; pos < 140; pos++) {
      for (const [insert, valid] of [[[0xff], false], [[0xc3, 0xa9], true], [[0xed, 0xa0, 0x80], false], [[0xe2, 0x82], false]] as const) {
        const bytes = Buffer.alloc(140, 0x61);
        bytes.set(insert, Math.min(pos, 140 - insert.length));
        const view = backing.subarray(align, align + 140);
        view.set(bytes);
        assert.equal(isValidUtf8(view), valid, `align ${align} pos ${pos} insert ${Buffer.from(insert).toString('hex')}`);
      }
    }
  }
});
