// Tests for src/wire/chunked.ts: the outgoing chunked coding as exact bytes (RFC 9112 §7.1), and
// encoder -> parser round trips (issue #2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_END, chunkHeader, encodeChunked, LAST_CHUNK, lastChunk, serializeRequestHead } from '../../src/wire/index.js';
import { bytes, bytewise, outcomeKey, parsePieces, splitAt, whole } from './harness.js';

describe('chunkHeader', () => {
  const rows = [
    { name: 'one byte', input: 1, want: '1\r\n' },
    { name: 'lower-case hex', input: 255, want: 'ff\r\n' },
    { name: '16 KiB', input: 16384, want: '4000\r\n' },
    { name: 'largest safe integer', input: Number.MAX_SAFE_INTEGER, want: '1fffffffffffff\r\n' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(chunkHeader(input), want));
  const bad = [
    { name: 'zero (would end the body)', input: 0 },
    { name: 'negative', input: -1 },
    { name: 'NaN', input: Number.NaN },
    { name: 'fraction (regression: printed "1.8")', input: 1.5 },
    { name: 'Infinity', input: Number.POSITIVE_INFINITY },
  ];
  for (const { name, input } of bad) test(`rejects ${name}`, () => assert.throws(() => chunkHeader(input), RangeError));
});

describe('constants', () => {
  test('CHUNK_END', () => assert.equal(CHUNK_END, '\r\n'));
  test('LAST_CHUNK', () => assert.equal(LAST_CHUNK, '0\r\n\r\n'));
});

describe('lastChunk', () => {
  const rows: { name: string; input: [string, string][] | undefined; want: string }[] = [
    { name: 'no trailers', input: undefined, want: '0\r\n\r\n' },
    { name: 'empty trailer list', input: [], want: '0\r\n\r\n' },
    { name: 'trailers in order', input: [['Checksum', 'abc'], ['X-Empty', '']], want: '0\r\nChecksum: abc\r\nX-Empty: \r\n\r\n' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(lastChunk(input), want));
  const bad: { name: string; input: [string, string][] }[] = [
    { name: 'CRLF in a value', input: [['X', 'a\r\nContent-Length: 5']] },
    { name: 'LF in a value', input: [['X', 'a\nb']] },
    { name: 'NUL in a value', input: [['X', 'a\0']] },
    { name: 'colon in a name', input: [['X:', 'a']] },
    { name: 'empty name', input: [['', 'a']] },
  ];
  for (const { name, input } of bad) test(`rejects ${name}`, () => assert.throws(() => lastChunk(input), TypeError));
});

describe('encodeChunked', () => {
  const rows: { name: string; input: [Uint8Array[], [string, string][]?]; want: string }[] = [
    { name: 'no pieces', input: [[]], want: '0\r\n\r\n' },
    { name: 'empty pieces are skipped (an empty chunk would end the body)', input: [[bytes(''), bytes('ab'), bytes('')]], want: '2\r\nab\r\n0\r\n\r\n' },
    { name: 'two pieces and a trailer', input: [[bytes('hello'), bytes(' world!')], [['T', '1']]], want: '5\r\nhello\r\n7\r\n world!\r\n0\r\nT: 1\r\n\r\n' },
    { name: 'binary data', input: [[new Uint8Array([0, 13, 10, 255])]], want: '4\r\n\x00\r\n\xff\r\n0\r\n\r\n' },
    { name: 'a 26-byte piece uses hex', input: [[bytes('abcdefghijklmnopqrstuvwxyz')]], want: '1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(encodeChunked(...input).toString('latin1'), want));

  test('round trip through the parser, fed whole, byte by byte and at every split', () => {
    const pieces = [bytes('0\r\n\r\n'), Buffer.alloc(17, 0x41), bytes('GET / HTTP/1.1\r\n'), Buffer.from([0, 255, 10])];
    const trailers: [string, string][] = [['Digest', 'sha-256=abc'], ['X-Z', 'z']];
    const wire = Buffer.concat([
      bytes(serializeRequestHead('POST', '/', [['Host', 'a'], ['Transfer-Encoding', 'chunked']])),
      encodeChunked(pieces, trailers),
    ]);
    const ref = parsePieces(whole(wire));
    assert.equal(ref.error, null);
    assert.equal(ref.requests.length, 1);
    assert.equal(ref.requests[0].bodyKind, 'chunked');
    assert.equal(ref.requests[0].body, Buffer.concat(pieces).toString('latin1'));
    assert.deepEqual(ref.requests[0].trailers, trailers.flat());
    assert.equal(ref.pending, false);
    const key = outcomeKey(ref);
    assert.equal(outcomeKey(parsePieces(bytewise(wire))), key);
    for (let i = 1; i < wire.length; i++) assert.equal(outcomeKey(parsePieces(splitAt(wire, i))), key, `split at ${i}`);
  });
});
