// Tests for src/wire/remembered-section.ts: the one entry point by which the request parser reuses
// the previous request's field section (#14 item 2). repeatEnd() must find a repeat only when the
// remembered bytes follow, byte for byte, then CRLF CRLF; remember() keeps heads up to 4096 bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMEMBERED_HEAD_BYTES, RememberedSection, type SectionFacts } from '../../src/wire/remembered-section.js';
import { bytes } from './harness.js';

const FACTS: SectionFacts = { host: 'a', hostCount: 1, contentLength: -1, codings: null, connection: 0, expectContinue: false };

/** A RememberedSection holding `section` (the head's length given by `headBytes`). */
function holding(section: string, headBytes = 100): RememberedSection {
  const r = new RememberedSection();
  const buf = bytes(`..${section}..`);
  r.remember(buf, 2, 2 + section.length, headBytes, ['Host', 'a'], FACTS);
  return r;
}

describe('RememberedSection.repeatEnd', () => {
  const SHORT = 'Host: a\r\nX: 1';
  const LONG = `Host: a\r\nUser-Agent: ${'u'.repeat(100)}`;
  const rows: Array<{ name: string; section: string; input: string; want: number }> = [
    { name: 'a short section repeated, then the empty line', section: SHORT, input: `${SHORT}\r\n\r\n`, want: SHORT.length + 3 },
    { name: 'a long section (native compare) repeated', section: LONG, input: `${LONG}\r\n\r\nGET`, want: LONG.length + 3 },
    { name: 'one byte differs (short)', section: SHORT, input: `Host: a\r\nX: 2\r\n\r\n`, want: -1 },
    { name: 'one byte differs (long)', section: LONG, input: `${LONG.slice(0, -1)}v\r\n\r\n`, want: -1 },
    { name: 'the section goes on with another field', section: SHORT, input: `${SHORT}\r\nY: 2\r\n\r\n`, want: -1 },
    { name: 'the section goes on within its last line', section: SHORT, input: `${SHORT}0\r\n\r\n`, want: -1 },
    { name: 'the empty line has not arrived', section: SHORT, input: `${SHORT}\r\n\r`, want: -1 },
    { name: 'fewer bytes than the section', section: SHORT, input: 'Host: a', want: -1 },
    { name: 'a bare LF where the empty line should be', section: SHORT, input: `${SHORT}\r\n\n`, want: -1 },
  ];
  for (const { name, section, input, want } of rows) {
    test(name, () => assert.equal(holding(section).repeatEnd(bytes(input), 0), want));
  }

  test('nothing remembered: never a repeat, even of empty input', () => {
    const r = new RememberedSection();
    assert.equal(r.repeatEnd(bytes('\r\n\r\n'), 0), -1);
    assert.equal(r.repeatEnd(bytes(''), 0), -1);
  });
});

describe('RememberedSection.remember', () => {
  test(`a head of up to ${MAX_REMEMBERED_HEAD_BYTES} bytes is remembered; a longer one forgets the last`, () => {
    assert.equal(MAX_REMEMBERED_HEAD_BYTES, 4096, 'docs/wire.md says 4096');
    const input = bytes('Host: a\r\n\r\n');
    const r = holding('Host: a', MAX_REMEMBERED_HEAD_BYTES);
    assert.equal(r.repeatEnd(input, 0), 10);
    r.remember(bytes('Host: a'), 0, 7, MAX_REMEMBERED_HEAD_BYTES + 1, ['Host', 'a'], FACTS);
    assert.equal(r.repeatEnd(input, 0), -1);
  });

  test('forget() drops the section; the fields handed out are copies', () => {
    const r = holding('Host: a');
    const fields = r.copyFields();
    fields[1] = 'changed';
    assert.deepEqual(r.copyFields(), ['Host', 'a']);
    assert.equal(r.facts, FACTS);
    r.forget();
    assert.equal(r.repeatEnd(bytes('Host: a\r\n\r\n'), 0), -1);
    assert.deepEqual(r.copyFields(), []);
  });

  test('the fields array given to remember() may change afterwards: what is kept does not', () => {
    const given = ['Host', 'a'];
    const r = new RememberedSection();
    r.remember(bytes('Host: a'), 0, 7, 30, given, FACTS);
    given[1] = 'evil';
    assert.deepEqual(r.copyFields(), ['Host', 'a']);
  });
});
