// Tests of the WebSocket opening handshake functions (src/wire/websocket-handshake.ts), issue #15:
// request validation (RFC 6455 §4.2.1) as a table of requests and the answer each gets, the
// Sec-WebSocket-Accept example of §1.3, subprotocol selection, the §9.1 extension grammar and the
// permessage-deflate negotiation of RFC 7692 §7 (invalid offers declined, never accepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  acceptKey,
  checkUpgradeRequest,
  isWebSocketUpgrade,
  negotiatePerMessageDeflate,
  parseExtensions,
  selectSubprotocol,
  upgradeResponseHeaders,
  type PerMessageDeflateConfig,
  type UpgradeRequest,
} from '../../src/wire/websocket-handshake.js';

const sha1 = (s: string): Uint8Array => createHash('sha1').update(s, 'latin1').digest();
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const GOOD = ['Host', 'a', 'Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13'];
const req = (rawHeaders: string[], method = 'GET', version: '1.0' | '1.1' = '1.1'): UpgradeRequest => ({ method, version, rawHeaders });
/** GOOD with field `name` replaced by `values` (none: removed); extra fields appended. */
const withField = (name: string, ...values: string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < GOOD.length; i += 2) if (GOOD[i].toLowerCase() !== name.toLowerCase()) out.push(GOOD[i], GOOD[i + 1]);
  for (const v of values) out.push(name, v);
  return out;
};

const CHECK: Array<{ name: string; input: UpgradeRequest; want: { ok: true; protocols?: string[]; extensions?: string[] } | { status: number; code: string; headers?: string[] } }> = [
  { name: 'the §1.3 example', input: req(GOOD), want: { ok: true, protocols: [], extensions: [] } },
  { name: 'token lists in any case, several fields', input: req(['Host', 'a', 'upgrade', 'h2c, WebSocket', 'connection', 'keep-alive', 'CONNECTION', 'UPGRADE', 'sec-websocket-key', KEY, 'SEC-WEBSOCKET-VERSION', '13']), want: { ok: true } },
  { name: 'Upgrade with a version suffix elsewhere in the list', input: req(withField('Upgrade', 'foo/2, websocket')), want: { ok: true } },
  { name: 'subprotocols over two fields', input: req([...GOOD, 'Sec-WebSocket-Protocol', 'chat, superchat', 'Sec-WebSocket-Protocol', 'v2.json']), want: { ok: true, protocols: ['chat', 'superchat', 'v2.json'] } },
  { name: 'extensions are parsed', input: req([...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits, x-foo']), want: { ok: true, extensions: ['permessage-deflate', 'x-foo'] } },
  { name: 'POST', input: req(GOOD, 'POST'), want: { status: 400, code: 'ERR_WS_HANDSHAKE_METHOD' } },
  { name: 'HTTP/1.0', input: req(GOOD, 'GET', '1.0'), want: { status: 400, code: 'ERR_WS_HANDSHAKE_HTTP_VERSION' } },
  { name: 'no Upgrade: 426 naming websocket', input: req(withField('Upgrade')), want: { status: 426, code: 'ERR_WS_UPGRADE_REQUIRED', headers: ['Upgrade', 'websocket', 'Connection', 'Upgrade'] } },
  { name: 'Upgrade: h2c only', input: req(withField('Upgrade', 'h2c')), want: { status: 426, code: 'ERR_WS_UPGRADE_REQUIRED', headers: ['Upgrade', 'websocket', 'Connection', 'Upgrade'] } },
  { name: 'Upgrade: websocketx is not websocket', input: req(withField('Upgrade', 'websocketx')), want: { status: 426, code: 'ERR_WS_UPGRADE_REQUIRED', headers: ['Upgrade', 'websocket', 'Connection', 'Upgrade'] } },
  { name: 'malformed Upgrade', input: req(withField('Upgrade', 'web socket')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_UPGRADE' } },
  { name: 'no Connection', input: req(withField('Connection')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_CONNECTION' } },
  { name: 'Connection: keep-alive only', input: req(withField('Connection', 'keep-alive')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_CONNECTION' } },
  { name: 'Connection: upgrades is not upgrade', input: req(withField('Connection', 'upgrades')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_CONNECTION' } },
  { name: 'version 8: 426 with the version we speak', input: req(withField('Sec-WebSocket-Version', '8')), want: { status: 426, code: 'ERR_WS_HANDSHAKE_VERSION', headers: ['Sec-WebSocket-Version', '13'] } },
  { name: 'no version', input: req(withField('Sec-WebSocket-Version')), want: { status: 426, code: 'ERR_WS_HANDSHAKE_VERSION', headers: ['Sec-WebSocket-Version', '13'] } },
  { name: 'two version fields', input: req(withField('Sec-WebSocket-Version', '13', '13')), want: { status: 426, code: 'ERR_WS_HANDSHAKE_VERSION', headers: ['Sec-WebSocket-Version', '13'] } },
  { name: 'version "13, 8"', input: req(withField('Sec-WebSocket-Version', '13, 8')), want: { status: 426, code: 'ERR_WS_HANDSHAKE_VERSION', headers: ['Sec-WebSocket-Version', '13'] } },
  { name: 'no key', input: req(withField('Sec-WebSocket-Key')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'two keys', input: req(withField('Sec-WebSocket-Key', KEY, KEY)), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'key of 15 bytes', input: req(withField('Sec-WebSocket-Key', Buffer.alloc(15, 1).toString('base64'))), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'key of 17 bytes', input: req(withField('Sec-WebSocket-Key', Buffer.alloc(17, 1).toString('base64'))), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'key without padding', input: req(withField('Sec-WebSocket-Key', KEY.slice(0, 22))), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'key with non-zero padding bits', input: req(withField('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZR==')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'key with a base64url character', input: req(withField('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25_ZQ==')), want: { status: 400, code: 'ERR_WS_HANDSHAKE_KEY' } },
  { name: 'repeated subprotocol', input: req([...GOOD, 'Sec-WebSocket-Protocol', 'chat, chat']), want: { status: 400, code: 'ERR_WS_HANDSHAKE_PROTOCOL' } },
  { name: 'subprotocol that is not a token', input: req([...GOOD, 'Sec-WebSocket-Protocol', 'a b']), want: { status: 400, code: 'ERR_WS_HANDSHAKE_PROTOCOL' } },
  { name: 'malformed extensions', input: req([...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate; =1']), want: { status: 400, code: 'ERR_WS_HANDSHAKE_EXTENSIONS' } },
];

for (const row of CHECK) {
  test(`checkUpgradeRequest: ${row.name}`, () => {
    const got = checkUpgradeRequest(row.input);
    if ('ok' in row.want) {
      assert.ok(got.ok, JSON.stringify(got));
      assert.equal(got.key, KEY);
      if (row.want.protocols) assert.deepEqual(got.protocols, row.want.protocols);
      if (row.want.extensions) assert.deepEqual(got.extensions.map((e) => e.name), row.want.extensions);
    } else {
      assert.ok(!got.ok);
      assert.deepEqual({ status: got.status, code: got.code, headers: got.headers }, { headers: [], ...row.want });
    }
  });
}

test('isWebSocketUpgrade: websocket in any case in an Upgrade list', () => {
  assert.equal(isWebSocketUpgrade(req(['Upgrade', 'WebSocket'])), true);
  assert.equal(isWebSocketUpgrade(req(['Upgrade', 'h2c', 'upgrade', 'websocket'])), true);
  assert.equal(isWebSocketUpgrade(req(['Upgrade', 'h2c'])), false);
  assert.equal(isWebSocketUpgrade(req(['Host', 'a'])), false);
});

test('acceptKey: the RFC 6455 §1.3 example', () => {
  assert.equal(acceptKey(KEY, sha1), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('upgradeResponseHeaders: the 101 fields, with and without protocol and extensions', () => {
  assert.deepEqual(upgradeResponseHeaders('abc'), ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'abc']);
  assert.deepEqual(upgradeResponseHeaders('abc', 'chat', 'permessage-deflate').slice(6), ['Sec-WebSocket-Protocol', 'chat', 'Sec-WebSocket-Extensions', 'permessage-deflate']);
});

test('selectSubprotocol: only ever one the client offered', () => {
  assert.equal(selectSubprotocol(['b', 'a'], ['a', 'b']), 'b', "the client's preference order");
  assert.equal(selectSubprotocol(['x'], ['a']), null);
  assert.equal(selectSubprotocol([], ['a']), null);
  assert.equal(selectSubprotocol(['a', 'b'], (o) => o[1]), 'b');
  assert.equal(selectSubprotocol(['a'], () => null), null);
  assert.throws(() => selectSubprotocol(['a'], () => 'z'), TypeError);
});

const EXT: Array<{ name: string; input: string[]; want: ReturnType<typeof parseExtensions> }> = [
  { name: 'one bare extension', input: ['permessage-deflate'], want: [{ name: 'permessage-deflate', params: [] }] },
  { name: 'params with and without values', input: ['permessage-deflate; client_max_window_bits; server_max_window_bits=10'], want: [{ name: 'permessage-deflate', params: [['client_max_window_bits', null], ['server_max_window_bits', '10']] }] },
  { name: 'quoted value', input: ['permessage-deflate; server_max_window_bits="10"'], want: [{ name: 'permessage-deflate', params: [['server_max_window_bits', '10']] }] },
  { name: 'quoted value with an escape', input: ['x; a="b\\c"'], want: [{ name: 'x', params: [['a', 'bc']] }] },
  { name: 'several offers over two fields, odd spacing, empty elements', input: ['a ;b= 1 ,, c', ' D\t;E'], want: [{ name: 'a', params: [['b', '1']] }, { name: 'c', params: [] }, { name: 'd', params: [['e', null]] }] },
  { name: 'no field', input: [], want: [] },
  { name: 'quoted value that is not a token', input: ['x; a="b c"'], want: null },
  { name: 'unterminated quoted value', input: ['x; a="b'], want: null },
  { name: 'quoted value with a comma', input: ['x; a="b,c"'], want: null },
  { name: 'empty parameter', input: ['x;;'], want: null },
  { name: 'parameter without a name', input: ['x; =1'], want: null },
  { name: 'empty value', input: ['x; a='], want: null },
  { name: 'garbage after an extension', input: ['x y'], want: null },
  { name: 'parameters without an extension', input: ['; a'], want: null },
];

for (const row of EXT) {
  test(`parseExtensions: ${row.name}`, () => {
    assert.deepEqual(parseExtensions(row.input), row.want);
  });
}

const PMD: Array<{ name: string; input: { header: string; config?: PerMessageDeflateConfig }; want: string | null }> = [
  { name: 'a bare offer', input: { header: 'permessage-deflate' }, want: 'permessage-deflate' },
  { name: 'client_max_window_bits without a value, no server limit', input: { header: 'permessage-deflate; client_max_window_bits' }, want: 'permessage-deflate' },
  { name: 'client_max_window_bits, server limits it', input: { header: 'permessage-deflate; client_max_window_bits', config: { clientMaxWindowBits: 10 } }, want: 'permessage-deflate; client_max_window_bits=10' },
  { name: 'client_max_window_bits=9 under the server limit', input: { header: 'permessage-deflate; client_max_window_bits=9', config: { clientMaxWindowBits: 10 } }, want: 'permessage-deflate' },
  { name: 'server may not limit a client that did not offer the parameter', input: { header: 'permessage-deflate', config: { clientMaxWindowBits: 10 } }, want: 'permessage-deflate' },
  { name: 'server_max_window_bits offered: answered with it or less', input: { header: 'permessage-deflate; server_max_window_bits=12', config: { serverMaxWindowBits: 10 } }, want: 'permessage-deflate; server_max_window_bits=10' },
  { name: 'server_max_window_bits offered above the server limit', input: { header: 'permessage-deflate; server_max_window_bits=12' }, want: 'permessage-deflate; server_max_window_bits=12' },
  { name: 'server states its own smaller window', input: { header: 'permessage-deflate', config: { serverMaxWindowBits: 11 } }, want: 'permessage-deflate; server_max_window_bits=11' },
  { name: 'no context takeover both ways, offered', input: { header: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' }, want: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' },
  { name: 'no context takeover asked by the server', input: { header: 'permessage-deflate', config: { serverNoContextTakeover: true, clientNoContextTakeover: true } }, want: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' },
  { name: 'server_max_window_bits=8 is declined (zlib uses 9)', input: { header: 'permessage-deflate; server_max_window_bits=8' }, want: null },
  { name: 'duplicate parameter: declined', input: { header: 'permessage-deflate; server_no_context_takeover; server_no_context_takeover' }, want: null },
  { name: 'unknown parameter: declined', input: { header: 'permessage-deflate; foo' }, want: null },
  { name: 'window bits 16', input: { header: 'permessage-deflate; server_max_window_bits=16' }, want: null },
  { name: 'window bits 7', input: { header: 'permessage-deflate; client_max_window_bits=7' }, want: null },
  { name: 'window bits with a leading zero', input: { header: 'permessage-deflate; server_max_window_bits=010' }, want: null },
  { name: 'server_max_window_bits without a value', input: { header: 'permessage-deflate; server_max_window_bits' }, want: null },
  { name: 'no_context_takeover with a value', input: { header: 'permessage-deflate; client_no_context_takeover=1' }, want: null },
  { name: 'quoted window bits are fine', input: { header: 'permessage-deflate; server_max_window_bits="10"' }, want: 'permessage-deflate; server_max_window_bits=10' },
  { name: 'invalid first offer: the next one is taken', input: { header: 'permessage-deflate; server_max_window_bits=20, permessage-deflate; client_max_window_bits' }, want: 'permessage-deflate' },
  { name: 'unknown extensions are ignored', input: { header: 'x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover' }, want: 'permessage-deflate; server_no_context_takeover' },
  { name: 'only unknown extensions', input: { header: 'x-foo; bar=1' }, want: null },
];

for (const row of PMD) {
  test(`negotiatePerMessageDeflate: ${row.name}`, () => {
    const got = negotiatePerMessageDeflate(parseExtensions([row.input.header])!, row.input.config);
    assert.equal(got === null ? null : got.header, row.want);
  });
}

test('negotiatePerMessageDeflate: the negotiated parameters', () => {
  const got = negotiatePerMessageDeflate(parseExtensions(['permessage-deflate; client_max_window_bits=12; server_max_window_bits=11; client_no_context_takeover'])!, { clientMaxWindowBits: 10 });
  assert.deepEqual(got?.params, { serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 10 });
  assert.equal(got?.header, 'permessage-deflate; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=10');
});

test('negotiatePerMessageDeflate: a configuration out of range is a programming error', () => {
  assert.throws(() => negotiatePerMessageDeflate([], { serverMaxWindowBits: 8 }), RangeError);
  assert.throws(() => negotiatePerMessageDeflate([], { clientMaxWindowBits: 16 }), RangeError);
});
