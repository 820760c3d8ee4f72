// Tests for src/handlers/range.ts: Range parsing and multipart/byteranges framing (RFC 9110 §14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentRange, multipartLayout, parseRange, unsatisfiedContentRange, type RangeResult } from '../../src/handlers/range.js';

const SIZE = 1000;
const ignore: RangeResult = { kind: 'ignore' };
const unsatisfiable: RangeResult = { kind: 'unsatisfiable' };
const ranges = (...r: [number, number][]): RangeResult => ({ kind: 'ranges', ranges: r.map(([start, end]) => ({ start, end })) });

const rows: { name: string; input: string | undefined; size?: number; want: RangeResult }[] = [
  { name: 'absent', input: undefined, want: ignore },
  { name: 'first 100', input: 'bytes=0-99', want: ranges([0, 99]) },
  { name: 'open-ended', input: 'bytes=900-', want: ranges([900, 999]) },
  { name: 'suffix', input: 'bytes=-100', want: ranges([900, 999]) },
  { name: 'suffix longer than file', input: 'bytes=-5000', want: ranges([0, 999]) },
  { name: 'last-pos clamped', input: 'bytes=500-5000', want: ranges([500, 999]) },
  { name: 'single byte', input: 'bytes=0-0', want: ranges([0, 0]) },
  { name: 'last byte', input: 'bytes=999-999', want: ranges([999, 999]) },
  { name: 'unit case-insensitive', input: 'Bytes=0-1', want: ranges([0, 1]) },
  { name: 'whitespace around commas', input: 'bytes=0-1 , 5-6', want: ranges([0, 1], [5, 6]) },
  { name: 'two ranges', input: 'bytes=0-9,20-29', want: ranges([0, 9], [20, 29]) },
  { name: 'sorted', input: 'bytes=20-29,0-9', want: ranges([0, 9], [20, 29]) },
  { name: 'overlapping merged', input: 'bytes=0-50,40-99', want: ranges([0, 99]) },
  { name: 'adjacent merged', input: 'bytes=0-9,10-19', want: ranges([0, 19]) },
  { name: 'contained merged', input: 'bytes=0-99,10-19', want: ranges([0, 99]) },
  { name: 'unsatisfiable part dropped', input: 'bytes=0-9,5000-6000', want: ranges([0, 9]) },
  { name: 'empty list elements ignored', input: 'bytes=,0-1,', want: ranges([0, 1]) },
  { name: 'start past end: 416', input: 'bytes=1000-', want: unsatisfiable },
  { name: 'all parts past end: 416', input: 'bytes=1000-1001,2000-', want: unsatisfiable },
  { name: 'suffix zero: 416', input: 'bytes=-0', want: unsatisfiable },
  { name: 'any range of an empty file: 416', input: 'bytes=0-', size: 0, want: unsatisfiable },
  { name: 'suffix of an empty file: 416', input: 'bytes=-10', size: 0, want: unsatisfiable },
  { name: 'other unit', input: 'items=0-1', want: ignore },
  { name: 'no equals', input: 'bytes 0-1', want: ignore },
  { name: 'no dash', input: 'bytes=5', want: ignore },
  { name: 'last before first', input: 'bytes=10-5', want: ignore },
  { name: 'negative', input: 'bytes=--5', want: ignore },
  { name: 'non-digits', input: 'bytes=a-b', want: ignore },
  { name: 'sign', input: 'bytes=+1-2', want: ignore },
  { name: 'empty set', input: 'bytes=', want: ignore },
  { name: 'only dash', input: 'bytes=-', want: ignore },
  { name: 'one bad part spoils the set', input: 'bytes=0-1,x-2', want: ignore },
  { name: 'huge numbers', input: 'bytes=0-99999999999999999999999', want: ranges([0, 999]) },
];

for (const row of rows) {
  test(`parseRange: ${row.name}`, () => {
    assert.deepEqual(parseRange(row.input, row.size ?? SIZE), row.want);
  });
}

test('parseRange ignores more parts than maxRanges (amplification guard)', () => {
  const many = 'bytes=' + Array.from({ length: 11 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',');
  assert.deepEqual(parseRange(many, SIZE, 10), ignore);
  assert.equal(parseRange(many, SIZE, 11).kind, 'ranges');
});

test('parseRange collapses the CVE-2011-3192 pattern instead of multiplying it', () => {
  const attack = 'bytes=0-,' + Array.from({ length: 50 }, (_, i) => `5-${i}`).join(',');
  assert.deepEqual(parseRange(attack, SIZE), ignore); // "5-0" .. "5-4" are invalid (last < first)
  const overlapping = 'bytes=' + Array.from({ length: 50 }, () => '0-999').join(',');
  assert.deepEqual(parseRange(overlapping, SIZE), ranges([0, 999]));
});

test('Content-Range values', () => {
  assert.equal(contentRange({ start: 0, end: 99 }, 1000), 'bytes 0-99/1000');
  assert.equal(unsatisfiedContentRange(1000), 'bytes */1000');
});

test('multipartLayout frames parts exactly and counts every byte', () => {
  const data = Buffer.from('0123456789abcdefghij');
  const rs = [
    { start: 0, end: 1 },
    { start: 10, end: 12 },
  ];
  const layout = multipartLayout(rs, data.length, 'text/plain; charset=utf-8', 'BOUND');
  assert.equal(layout.contentType, 'multipart/byteranges; boundary=BOUND');
  const body = Buffer.concat([
    layout.partHeads[0]!,
    data.subarray(0, 2),
    layout.partHeads[1]!,
    data.subarray(10, 13),
    layout.trailer,
  ]).toString('latin1');
  assert.equal(
    body,
    '--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/20\r\n\r\n01' +
      '\r\n--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 10-12/20\r\n\r\nabc' +
      '\r\n--BOUND--\r\n',
  );
  assert.equal(layout.totalBytes, Buffer.byteLength(body, 'latin1'));
});
