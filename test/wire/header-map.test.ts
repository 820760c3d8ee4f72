// Tests for src/wire/header-map.ts: case-insensitive, ordered response fields with validation at set time
// (RFC 9110 §5.1, §5.5; issue #2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  HeaderMap,
  SPECIAL_CONNECTION,
  SPECIAL_CONTENT_LENGTH,
  SPECIAL_DATE,
  SPECIAL_TRANSFER_ENCODING,
} from '../../src/wire/index.js';

describe('HeaderMap', () => {
  test('get is case-insensitive and joins repeated fields with ", " (RFC 9110 §5.3)', () => {
    const h = new HeaderMap().append('Vary', 'Accept').append('vary', 'Cookie');
    assert.equal(h.get('VARY'), 'Accept, Cookie');
    assert.deepEqual(h.getAll('Vary'), ['Accept', 'Cookie']);
    assert.equal(h.get('missing'), undefined);
    assert.deepEqual(h.getAll('missing'), []);
    assert.equal(h.size, 2);
  });

  test('set replaces every field of the name, wherever it was, and keeps the new spelling', () => {
    const h = new HeaderMap().append('A', '1').append('X-Y', 'old').append('B', '2').append('x-y', 'old2');
    h.set('X-y', 'new');
    assert.deepEqual([...h.entries()], [['A', '1'], ['B', '2'], ['X-y', 'new']]);
  });

  test('set with an array adds one field line per value; an empty array removes', () => {
    const h = new HeaderMap().set('Set-Cookie', ['a=1', 'b=2']);
    assert.deepEqual([...h.entries()], [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
    h.set('Set-Cookie', []);
    assert.equal(h.has('set-cookie'), false);
    assert.equal(h.size, 0);
  });

  test('numbers are stringified', () => {
    assert.equal(new HeaderMap().set('Content-Length', 42).get('content-length'), '42');
    assert.equal(new HeaderMap().append('Age', 0).get('age'), '0');
  });

  test('leading and trailing OWS is dropped, inner whitespace kept', () => {
    assert.equal(new HeaderMap().set('X', ' \t a  b \t').get('x'), 'a  b');
  });

  test('has and delete', () => {
    const h = new HeaderMap().append('A', '1').append('a', '2').append('B', '3');
    assert.equal(h.has('A'), true);
    assert.equal(h.delete('A'), true);
    assert.equal(h.delete('A'), false);
    assert.equal(h.has('a'), false);
    assert.deepEqual([...h.entries()], [['B', '3']]);
  });

  test('forEachRaw gives names, lower-cased names and values in order', () => {
    const h = new HeaderMap().append('Content-Type', 'text/html').append('X-A', '1');
    const seen: string[][] = [];
    h.forEachRaw((name, lower, value) => seen.push([name, lower, value]));
    assert.deepEqual(seen, [['Content-Type', 'content-type', 'text/html'], ['X-A', 'x-a', '1']]);
  });

  test('serializeInto appends exact field lines', () => {
    const h = new HeaderMap().append('A', '1').append('B', '').append('A', 'x y');
    assert.equal(h.serializeInto('HTTP/1.1 200 OK\r\n'), 'HTTP/1.1 200 OK\r\nA: 1\r\nB: \r\nA: x y\r\n');
    assert.equal(new HeaderMap().serializeInto('head'), 'head');
  });

  const badNames = [
    { name: 'empty', input: '' },
    { name: 'space', input: 'X Y' },
    { name: 'colon', input: 'X:' },
    { name: 'CRLF', input: 'X\r\nY' },
    { name: 'NUL', input: 'X\0' },
    { name: 'non-ASCII', input: 'Caf\xe9' },
    { name: 'parenthesis', input: 'X(1)' },
  ];
  for (const { name, input } of badNames) {
    test(`set and append reject a field name with ${name}`, () => {
      assert.throws(() => new HeaderMap().set(input, 'v'), TypeError);
      assert.throws(() => new HeaderMap().append(input, 'v'), TypeError);
    });
  }

  const badValues = [
    { name: 'CRLF (response splitting)', input: 'a\r\nSet-Cookie: evil=1' },
    { name: 'bare CR', input: 'a\rb' },
    { name: 'bare LF', input: 'a\nb' },
    { name: 'NUL', input: 'a\0b' },
    { name: 'DEL', input: 'a\x7f' },
    { name: 'other control', input: '\x01' },
    { name: 'char above latin1', input: 'snow \u2603' },
  ];
  for (const { name, input } of badValues) {
    test(`set and append reject a value with ${name}`, () => {
      const h = new HeaderMap();
      assert.throws(() => h.set('X', input), TypeError);
      assert.throws(() => h.append('X', input), TypeError);
      assert.throws(() => h.set('X', ['ok', input]), TypeError);
      assert.equal(h.serializeInto(''), '', 'nothing was written');
    });
  }

  test('HTAB and obs-text are valid value bytes', () => {
    assert.equal(new HeaderMap().set('X', 'a\tb\xe9').get('x'), 'a\tb\xe9');
  });

  test('a failed set leaves earlier fields of that name in place', () => {
    const h = new HeaderMap().set('X', 'keep');
    assert.throws(() => h.set('X', 'bad\n'), TypeError);
    assert.equal(h.get('X'), 'keep');
  });
});

test('special bits follow the fields the server frames with, through set, append, delete and set([])', () => {
  const h = new HeaderMap();
  assert.equal(h.special, 0);
  h.set('Content-Type', 'text/plain').set('X-Date', '1');
  assert.equal(h.special, 0, 'names that merely contain a special one are not special');
  h.set('date', 'x');
  assert.equal(h.special, SPECIAL_DATE);
  h.append('Content-Length', 3).set('CONNECTION', 'close').append('Transfer-Encoding', 'chunked');
  assert.equal(h.special, SPECIAL_DATE | SPECIAL_CONTENT_LENGTH | SPECIAL_CONNECTION | SPECIAL_TRANSFER_ENCODING);
  h.append('Content-Length', 3);
  h.delete('content-length');
  assert.equal(h.special & SPECIAL_CONTENT_LENGTH, 0, 'delete removes every line of the name, and its bit');
  h.set('Connection', []);
  assert.equal(h.special & SPECIAL_CONNECTION, 0, 'set() with no values removes the field');
  h.set('Date', ['a', 'b']);
  assert.equal(h.special, SPECIAL_DATE | SPECIAL_TRANSFER_ENCODING);
  assert.equal(h.delete('x-absent'), false);
  assert.equal(h.special, SPECIAL_DATE | SPECIAL_TRANSFER_ENCODING);
});

test('hasFields compares with a copyFields snapshot: names, values and order', () => {
  const h = new HeaderMap().set('A', '1').set('B', '2');
  const snap = h.copyFields();
  assert.equal(h.hasFields(snap), true);
  h.set('B', '3');
  assert.equal(h.hasFields(snap), false);
  const reordered = new HeaderMap().set('B', '2').set('A', '1');
  assert.equal(reordered.hasFields(snap), false);
  assert.equal(new HeaderMap().set('A', '1').set('B', '2').hasFields(snap), true);
  assert.equal(new HeaderMap().hasFields([]), true);
});

describe('HeaderMap: what it remembers of names and values (#14 item 3)', () => {
  test('a name seen before is still validated against each new value, and OWS trimmed every time', () => {
    for (let i = 0; i < 3; i++) {
      const h = new HeaderMap().set('Content-Type', 'text/plain').set('Content-Type', ' text/plain ');
      assert.equal(h.get('content-type'), 'text/plain');
      assert.throws(() => h.set('Content-Type', 'text/plain\r\nX: 1'), TypeError);
      assert.throws(() => h.append('Content-Type', 'a\0'), TypeError);
      assert.equal(h.get('content-type'), 'text/plain');
    }
  });

  test('names of any length and any number of them: each still validated and lower-cased', () => {
    const long = `X-${'Ab'.repeat(100)}`;
    for (let i = 0; i < 600; i++) {
      const name = i % 2 === 0 ? `X-Name-${i}` : long;
      const h = new HeaderMap().set(name, `v${i}`);
      assert.deepEqual([...h.entries()], [[name, `v${i}`]]);
      h.forEachRaw((_, lower) => assert.equal(lower, name.toLowerCase()));
      assert.throws(() => h.set(`${name} `, 'v'), TypeError);
    }
  });

  test('5000 distinct long names leave well under 1 MiB behind (the earlier cache kept the first 512 names, whatever their length)', () => {
    // gc() is not exposed to tests by default; the flag can still be set at run time.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const pad = (prefix: string, n: number): string => Buffer.from(prefix + 'x'.repeat(n - prefix.length), 'latin1').toString('latin1');
    for (let i = 0; i < 100; i++) new HeaderMap().set(pad('Warm-', 8000), 'v');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5000; i++) new HeaderMap().set(pad(`N${i}-`, 8000), pad(`v${i}-`, 64));
    gc();
    gc();
    const keptKiB = (process.memoryUsage().heapUsed - before) / 1024;
    assert.ok(keptKiB < 1024, `kept ${keptKiB.toFixed(0)} KiB`);
  });
});
