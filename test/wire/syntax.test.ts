// Tests for src/wire/syntax.ts: the grammar both parsers share (#14), and that both parsers read
// it alike. Each helper is fed rows of bytes and checked for its result or for the rule it reports;
// each rule is checked to become the documented code on each side (errors.ts). The chunk-size line
// rows go through both parsers: the request and the response side accept and refuse the same lines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtocolError,
  requestSyntaxError,
  responseSyntaxError,
  type SyntaxErrorFactory,
  type SyntaxRule,
} from '../../src/wire/errors.js';
import {
  appendTransferCodings,
  checkChunkedCodings,
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  connectionOptions,
  equalsLower,
  isPersistent,
  isValidHost,
  parseChunkSizeLine,
  parseContentLength,
  parseVersion,
  scanFieldLine,
  splitList,
  type FieldLine,
} from '../../src/wire/syntax.js';
import { NEED_DATA, PAUSED, RequestParser } from '../../src/wire/parser.js';
import { ResponseParser } from '../../src/wire/response-parser.js';
import { bytes } from './harness.js';

/** A factory that reports the rule itself, so a row can name the rule it expects. */
class RuleBroken extends ProtocolError {
  constructor(readonly rule: SyntaxRule) {
    super(rule);
  }
}
const byRule: SyntaxErrorFactory = (rule) => new RuleBroken(rule);

/** The rule `fn` reports, or its result. */
function outcome<T>(fn: (fail: SyntaxErrorFactory) => T): T | { rule: SyntaxRule } {
  try {
    return fn(byRule);
  } catch (e) {
    assert.ok(e instanceof RuleBroken, `only the factory's errors are thrown, got ${String(e)}`);
    return { rule: e.rule };
  }
}

describe('syntax: scanFieldLine', () => {
  const rows: Array<{ name: string; input: string; want: [name: string, value: string] | { rule: SyntaxRule } }> = [
    { name: 'name and value', input: 'Host: a', want: ['Host', 'a'] },
    { name: 'OWS around the value is not part of it', input: 'X: \t v w \t', want: ['X', 'v w'] },
    { name: 'empty value', input: 'X:', want: ['X', ''] },
    { name: 'only OWS', input: 'X:  \t', want: ['X', ''] },
    { name: 'every tchar in a name', input: "!#$%&'*+-.^_`|~09AZaz: 1", want: ["!#$%&'*+-.^_`|~09AZaz", '1'] },
    { name: 'obs-text in a value', input: 'X: caf\xe9', want: ['X', 'caf\xe9'] },
    { name: 'obs-fold (RFC 9112 §5.2)', input: ' X: 1', want: { rule: 'obs-fold' } },
    { name: 'HTAB obs-fold', input: '\tX: 1', want: { rule: 'obs-fold' } },
    { name: 'whitespace before the colon (RFC 9112 §5.1)', input: 'X : 1', want: { rule: 'field-name' } },
    { name: 'no colon', input: 'X', want: { rule: 'field-name' } },
    { name: 'empty name', input: ': 1', want: { rule: 'field-name' } },
    { name: 'non-token byte in a name', input: 'X(: 1', want: { rule: 'field-name' } },
    { name: 'NUL in a value (RFC 9110 §5.5)', input: 'X: a\x00b', want: { rule: 'field-value' } },
    { name: 'CR in a value', input: 'X: a\rb', want: { rule: 'field-value' } },
    { name: 'DEL in a value', input: 'X: a\x7f', want: { rule: 'field-value' } },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => {
      const buf = bytes(`..${input}..`);
      const line: FieldLine = { colon: 0, valueStart: 0, valueEnd: 0 };
      const got = outcome((fail) => {
        scanFieldLine(buf, 2, buf.length - 2, line, fail);
        return [buf.toString('latin1', 2, line.colon), buf.toString('latin1', line.valueStart, line.valueEnd)];
      });
      assert.deepEqual(got, want);
    });
  }
});

describe('syntax: splitList (RFC 9110 §5.6.1)', () => {
  const rows: Array<{ name: string; input: string; want: string[] }> = [
    { name: 'one element', input: 'chunked', want: ['chunked'] },
    { name: 'OWS trimmed, case kept', input: ' Keep-Alive ,\tUpgrade ', want: ['Keep-Alive', 'Upgrade'] },
    { name: 'empty elements dropped', input: ',a,, ,b,', want: ['a', 'b'] },
    { name: 'nothing but commas and OWS', input: ' , ,', want: [] },
    { name: 'empty', input: '', want: [] },
    { name: 'NBSP is not OWS', input: '\xa0a', want: ['\xa0a'] },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.deepEqual(splitList(input), want));
  test('appends to the array given, over several values', () => {
    const out = splitList('a, b');
    assert.equal(splitList('c', out), out);
    assert.deepEqual(out, ['a', 'b', 'c']);
  });
});

describe('syntax: values', () => {
  test('parseContentLength: 1*DIGIT, at most 15 digits (RFC 9110 §8.6)', () => {
    const rows: Array<[string, number | { rule: SyntaxRule }]> = [
      ['0', 0], ['42', 42], ['007', 7], ['999999999999999', 999999999999999],
      ['', { rule: 'content-length' }], ['1000000000000000', { rule: 'content-length' }], ['+1', { rule: 'content-length' }],
      ['1 ', { rule: 'content-length' }], ['1,1', { rule: 'content-length' }], ['0x1', { rule: 'content-length' }],
    ];
    for (const [input, want] of rows) assert.deepEqual(outcome((fail) => parseContentLength(input, fail)), want, JSON.stringify(input));
  });

  test('parseVersion: exactly HTTP/D.D, major 1 only (RFC 9112 §2.3)', () => {
    const rows: Array<[string, '1.0' | '1.1' | { rule: SyntaxRule }]> = [
      ['HTTP/1.0', '1.0'], ['HTTP/1.1', '1.1'], ['HTTP/1.9', '1.1'],
      ['HTTP/2.0', { rule: 'version-unsupported' }], ['HTTP/0.9', { rule: 'version-unsupported' }],
      ['http/1.1', { rule: 'version' }], ['HTTP/1.1 ', { rule: 'version' }], ['HTTP/1', { rule: 'version' }], ['HTTP/1.x', { rule: 'version' }],
    ];
    for (const [input, want] of rows) {
      const buf = bytes(input);
      assert.deepEqual(outcome((fail) => parseVersion(buf, 0, buf.length, fail)), want, JSON.stringify(input));
    }
  });

  test('connectionOptions and isPersistent (RFC 9112 §9.3)', () => {
    const rows: Array<[string, number, boolean, boolean]> = [
      // value, options, persistent on 1.1, persistent on 1.0
      ['close', CONNECTION_CLOSE, false, false],
      ['keep-alive', CONNECTION_KEEP_ALIVE, true, true],
      ['Keep-Alive, Upgrade', CONNECTION_KEEP_ALIVE, true, true],
      [' upgrade ,CLOSE', CONNECTION_CLOSE, false, false],
      ['keep-alive, close', CONNECTION_CLOSE | CONNECTION_KEEP_ALIVE, false, false],
      ['upgrade', 0, true, false],
      ['', 0, true, false],
    ];
    for (const [value, options, on11, on10] of rows) {
      assert.equal(connectionOptions(value), options, value);
      assert.deepEqual([isPersistent('1.1', options), isPersistent('1.0', options)], [on11, on10], value);
    }
  });

  test('appendTransferCodings and checkChunkedCodings (RFC 9112 §6.1, §6.3 ¶4)', () => {
    const rows: Array<[string[], string[] | { rule: SyntaxRule }]> = [
      [['chunked'], ['chunked']],
      [['Chunked'], ['chunked']],
      [['gzip', ' CHUNKED '], ['gzip', 'chunked']],
      [[' , '], { rule: 'transfer-coding' }],
      [['"chunked"'], { rule: 'transfer-coding' }],
      [['chunked;x=1'], { rule: 'transfer-coding' }],
    ];
    for (const [values, want] of rows) {
      assert.deepEqual(outcome((fail) => values.reduce((out: string[], v) => (appendTransferCodings(v, out, fail), out), [])), want, JSON.stringify(values));
    }
    const checks: Array<[string[], null | { rule: SyntaxRule }]> = [
      [['chunked'], null],
      [['chunked', 'gzip'], { rule: 'transfer-coding' }],
      [['chunked', 'chunked'], { rule: 'transfer-coding' }],
      [['gzip', 'chunked'], { rule: 'transfer-coding-unsupported' }],
    ];
    for (const [codings, want] of checks) {
      assert.deepEqual(outcome((fail) => (checkChunkedCodings(codings, fail), null)), want, JSON.stringify(codings));
    }
  });

  test('isValidHost and equalsLower', () => {
    assert.equal(isValidHost('example.com:80'), true);
    assert.equal(isValidHost('a b'), false);
    const buf = bytes('Content-LENGTH');
    assert.equal(equalsLower(buf, 0, 'content-length'), true);
    assert.equal(equalsLower(buf, 0, 'content-lengtx'), false);
  });
});

/** The chunk extension bound the chunk-size line rows are read with. */
const MAX_EXTENSION_BYTES = 20;
/** Chunk-size lines (CRLF excluded) and whether RFC 9112 §7.1 and §7.1.1 allow them (issue #12). */
const CHUNK_LINES: Array<{ name: string; input: string; want: number | { rule: SyntaxRule } }> = [
  { name: 'hex size', input: 'a', want: 10 },
  { name: 'leading zeros', input: '000F', want: 15 },
  { name: 'extensions with BWS before ";" and around "="', input: '3 ;a = b ;\tc="x y"', want: 3 },
  { name: 'quoted-string with a quoted pair', input: '3;a="x\\"y"', want: 3 },
  { name: 'no size', input: ';a', want: { rule: 'chunk' } },
  { name: 'whitespace before the size', input: ' 3', want: { rule: 'chunk' } },
  { name: 'whitespace ending the line', input: '3 ', want: { rule: 'chunk' } },
  { name: 'whitespace after an extension at the end', input: '3;a=b\t', want: { rule: 'chunk' } },
  { name: 'whitespace inside the size', input: '3 3', want: { rule: 'chunk' } },
  { name: 'extension without a name', input: '3;=b', want: { rule: 'chunk' } },
  { name: 'extension with an empty value', input: '3;a=', want: { rule: 'chunk' } },
  { name: 'unterminated quoted-string', input: '3;a="b', want: { rule: 'chunk' } },
  { name: '14 significant digits (overflow)', input: '1' + '0'.repeat(13), want: { rule: 'chunk' } },
  { name: 'extensions at the limit (20 bytes here)', input: `3;${'a'.repeat(19)}`, want: 3 },
  { name: 'extensions over the limit', input: `3;${'a'.repeat(20)}`, want: { rule: 'chunk-extension-too-long' } },
];

describe('syntax: parseChunkSizeLine (RFC 9112 §7.1, §7.1.1)', () => {
  for (const { name, input, want } of CHUNK_LINES) {
    test(name, () => {
      const buf = bytes(input);
      assert.deepEqual(outcome((fail) => parseChunkSizeLine(buf, 0, buf.length, MAX_EXTENSION_BYTES, fail)), want);
    });
  }
});

describe('syntax: both parsers read a chunk-size line alike', () => {
  /** 'ok' when the parser takes every event of its input without error, else the error's code. */
  function drained(p: { nextEvent(): unknown }): string {
    try {
      for (let ev = p.nextEvent(); ev !== NEED_DATA && ev !== PAUSED; ev = p.nextEvent());
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof ProtocolError);
      return e.code;
    }
  }
  /** The request parser's outcome for one chunk with this size line. */
  function requestSide(line: string): string {
    const p = new RequestParser({ maxChunkExtensionBytes: MAX_EXTENSION_BYTES });
    p.receive(bytes(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\n`));
    return drained(p);
  }
  /** The response parser's outcome for one chunk with this size line. */
  function responseSide(line: string): string {
    const p = new ResponseParser({ maxChunkExtensionBytes: MAX_EXTENSION_BYTES });
    p.expectResponse('GET');
    p.receive(bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\n`));
    return drained(p);
  }
  for (const { name, input, want } of CHUNK_LINES) {
    test(name, () => {
      const rule = typeof want === 'number' ? null : want.rule;
      assert.equal(requestSide(input), rule === null ? 'ok' : requestSyntaxError(rule, '').code, 'request side');
      assert.equal(responseSide(input), rule === null ? 'ok' : responseSyntaxError(rule, '').code, 'response side');
    });
  }
});

describe('syntax: each side turns a rule into its documented error (docs/errors.md)', () => {
  const rows: Array<{ rule: SyntaxRule; request: [number, string]; response: string }> = [
    { rule: 'obs-fold', request: [400, 'ERR_OBS_FOLD'], response: 'ERR_RESPONSE_OBS_FOLD' },
    { rule: 'field-name', request: [400, 'ERR_INVALID_HEADER_NAME'], response: 'ERR_RESPONSE_HEADER_NAME' },
    { rule: 'field-value', request: [400, 'ERR_INVALID_HEADER_VALUE'], response: 'ERR_RESPONSE_HEADER_VALUE' },
    { rule: 'content-length', request: [400, 'ERR_INVALID_CONTENT_LENGTH'], response: 'ERR_RESPONSE_CONTENT_LENGTH' },
    { rule: 'version', request: [400, 'ERR_INVALID_VERSION'], response: 'ERR_RESPONSE_STATUS_LINE' },
    { rule: 'version-unsupported', request: [505, 'ERR_VERSION_NOT_SUPPORTED'], response: 'ERR_RESPONSE_VERSION' },
    { rule: 'chunk', request: [400, 'ERR_INVALID_CHUNK'], response: 'ERR_RESPONSE_CHUNK' },
    { rule: 'chunk-extension-too-long', request: [400, 'ERR_CHUNK_EXTENSION_TOO_LONG'], response: 'ERR_RESPONSE_CHUNK_LINE_TOO_LONG' },
    { rule: 'transfer-coding', request: [400, 'ERR_INVALID_TRANSFER_ENCODING'], response: 'ERR_RESPONSE_TRANSFER_ENCODING' },
    { rule: 'transfer-coding-unsupported', request: [501, 'ERR_UNSUPPORTED_TRANSFER_CODING'], response: 'ERR_RESPONSE_TRANSFER_ENCODING' },
  ];
  for (const { rule, request, response } of rows) {
    test(rule, () => {
      const req = requestSyntaxError(rule, 'for logs');
      assert.deepEqual([req.status, req.code], request);
      const res = responseSyntaxError(rule, 'for logs');
      assert.deepEqual([res.status, res.code, res.publicMessage], [502, response, 'Bad Gateway']);
    });
  }
});
