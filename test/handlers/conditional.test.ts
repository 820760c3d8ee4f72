// Tests for src/handlers/conditional.ts: validators and precondition order (RFC 9110 §13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluatePreconditions,
  formatHttpDate,
  ifRangeAllows,
  parseHttpDate,
  type PreconditionVerdict,
} from '../../src/handlers/conditional.js';

const T = Date.UTC(1994, 10, 6, 8, 49, 37); // Sun, 06 Nov 1994 08:49:37 GMT

const dates: { name: string; input: string; want: number | undefined }[] = [
  { name: 'IMF-fixdate', input: 'Sun, 06 Nov 1994 08:49:37 GMT', want: T },
  { name: 'rfc850', input: 'Sunday, 06-Nov-94 08:49:37 GMT', want: T },
  { name: 'asctime', input: 'Sun Nov  6 08:49:37 1994', want: T },
  { name: 'surrounding whitespace', input: '  Sun, 06 Nov 1994 08:49:37 GMT ', want: T },
  { name: 'rfc850 20xx', input: 'Tuesday, 01-Jan-30 00:00:00 GMT', want: Date.UTC(2030, 0, 1) },
  { name: 'not GMT', input: 'Sun, 06 Nov 1994 08:49:37 PST', want: undefined },
  { name: 'bad month', input: 'Sun, 06 Foo 1994 08:49:37 GMT', want: undefined },
  { name: 'bad day name', input: 'Xyz, 06 Nov 1994 08:49:37 GMT', want: undefined },
  { name: 'Feb 30', input: 'Mon, 30 Feb 2026 00:00:00 GMT', want: undefined },
  { name: 'hour 24', input: 'Sun, 06 Nov 1994 24:00:00 GMT', want: undefined },
  { name: 'a bare number (Date.parse would accept it)', input: '0', want: undefined },
  { name: 'ISO 8601', input: '1994-11-06T08:49:37Z', want: undefined },
  { name: 'empty', input: '', want: undefined },
];

for (const row of dates) {
  test(`parseHttpDate: ${row.name}`, () => {
    assert.equal(parseHttpDate(row.input), row.want);
  });
}

test('formatHttpDate is IMF-fixdate and round-trips', () => {
  assert.equal(formatHttpDate(T), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(parseHttpDate(formatHttpDate(T + 999)), T);
});

const ETAG = '"abc"';
const LM = T + 500; // sub-second part must be ignored
const SAME = 'Sun, 06 Nov 1994 08:49:37 GMT';
const EARLIER = 'Sun, 06 Nov 1994 08:49:36 GMT';
const LATER = 'Sun, 06 Nov 1994 08:49:38 GMT';

const preconditions: { name: string; method?: string; input: Record<string, string>; want: PreconditionVerdict }[] = [
  { name: 'no conditions', input: {}, want: 'proceed' },
  { name: 'If-None-Match match', input: { 'if-none-match': '"abc"' }, want: 304 },
  { name: 'If-None-Match weak match (weak comparison)', input: { 'if-none-match': 'W/"abc"' }, want: 304 },
  { name: 'If-None-Match in a list', input: { 'if-none-match': '"x", "abc"' }, want: 304 },
  { name: 'If-None-Match tag with comma', input: { 'if-none-match': '"a,b", "abc"' }, want: 304 },
  { name: 'If-None-Match star', input: { 'if-none-match': '*' }, want: 304 },
  { name: 'If-None-Match no match', input: { 'if-none-match': '"other"' }, want: 'proceed' },
  { name: 'If-None-Match unquoted is not a match', input: { 'if-none-match': 'abc' }, want: 'proceed' },
  { name: 'If-None-Match match on POST: 412', method: 'POST', input: { 'if-none-match': '"abc"' }, want: 412 },
  { name: 'If-None-Match beats If-Modified-Since', input: { 'if-none-match': '"other"', 'if-modified-since': LATER }, want: 'proceed' },
  { name: 'If-Modified-Since same second', input: { 'if-modified-since': SAME }, want: 304 },
  { name: 'If-Modified-Since later', input: { 'if-modified-since': LATER }, want: 304 },
  { name: 'If-Modified-Since earlier', input: { 'if-modified-since': EARLIER }, want: 'proceed' },
  { name: 'If-Modified-Since invalid date ignored', input: { 'if-modified-since': 'yesterday' }, want: 'proceed' },
  { name: 'If-Modified-Since ignored for POST', method: 'POST', input: { 'if-modified-since': LATER }, want: 'proceed' },
  { name: 'If-Modified-Since on HEAD', method: 'HEAD', input: { 'if-modified-since': SAME }, want: 304 },
  { name: 'If-Match match', input: { 'if-match': '"abc"' }, want: 'proceed' },
  { name: 'If-Match star', input: { 'if-match': '*' }, want: 'proceed' },
  { name: 'If-Match weak tag fails (strong comparison)', input: { 'if-match': 'W/"abc"' }, want: 412 },
  { name: 'If-Match mismatch', input: { 'if-match': '"zzz"' }, want: 412 },
  { name: 'If-Match malformed', input: { 'if-match': '"abc' }, want: 412 },
  { name: 'If-Unmodified-Since earlier', input: { 'if-unmodified-since': EARLIER }, want: 412 },
  { name: 'If-Unmodified-Since same', input: { 'if-unmodified-since': SAME }, want: 'proceed' },
  { name: 'If-Unmodified-Since ignored with If-Match', input: { 'if-match': '"abc"', 'if-unmodified-since': EARLIER }, want: 'proceed' },
  { name: 'If-Match failure wins over If-None-Match', input: { 'if-match': '"zzz"', 'if-none-match': '"abc"' }, want: 412 },
];

for (const row of preconditions) {
  test(`evaluatePreconditions: ${row.name}`, () => {
    const got = evaluatePreconditions(row.method ?? 'GET', (n) => row.input[n], { etag: ETAG, lastModifiedMs: LM });
    assert.equal(got, row.want);
  });
}

test('a weak current ETag never passes If-Match but does match If-None-Match', () => {
  const v = { etag: 'W/"abc"' };
  assert.equal(evaluatePreconditions('GET', (n) => (n === 'if-match' ? '"abc"' : undefined), v), 412);
  assert.equal(evaluatePreconditions('GET', (n) => (n === 'if-none-match' ? '"abc"' : undefined), v), 304);
});

const ifRange: { name: string; input: string | undefined; want: boolean }[] = [
  { name: 'absent', input: undefined, want: true },
  { name: 'same strong tag', input: '"abc"', want: true },
  { name: 'other tag', input: '"xyz"', want: false },
  { name: 'weak tag never matches', input: 'W/"abc"', want: false },
  { name: 'exact date', input: SAME, want: true },
  { name: 'later date', input: LATER, want: false },
  { name: 'garbage', input: 'nonsense', want: false },
];

for (const row of ifRange) {
  test(`ifRangeAllows: ${row.name}`, () => {
    assert.equal(ifRangeAllows(row.input, { etag: ETAG, lastModifiedMs: LM }), row.want);
  });
}
