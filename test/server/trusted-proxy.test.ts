/**
 * Tests of src/server/trusted-proxy.ts: who the client is behind proxies, and that
 * forwarding fields from anyone but a trusted proxy are ignored (RFC 7239 §8.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientInfo,
  compileTrust,
  parseForwardedElement,
  splitForwarded,
  type ClientInfo,
  type ForwardedRequestLike,
  type TrustedProxyOptions,
} from '../../src/server/trusted-proxy.js';

function req(remoteAddress: string, headers: Record<string, string> = {}, isSecure = false): ForwardedRequestLike {
  const map = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { remoteAddress, isSecure, header: (name) => map.get(name.toLowerCase()) };
}

const LB = ['10.0.0.0/8', '::1', 'fd00::/8'];

test('compileTrust matches addresses and ranges, v4, v6 and IPv4-mapped', () => {
  const rows = [
    { name: 'v4 in range', input: { list: ['10.0.0.0/8'], addr: '10.1.2.3' }, want: true },
    { name: 'v4 out of range', input: { list: ['10.0.0.0/8'], addr: '11.0.0.1' }, want: false },
    { name: 'v4 exact', input: { list: ['192.0.2.1'], addr: '192.0.2.1' }, want: true },
    { name: 'v4 exact, neighbour', input: { list: ['192.0.2.1'], addr: '192.0.2.2' }, want: false },
    { name: 'v4-mapped v6 peer', input: { list: ['10.0.0.0/8'], addr: '::ffff:10.9.9.9' }, want: true },
    { name: 'v6 range', input: { list: ['fd00::/8'], addr: 'fd12:3456::1' }, want: true },
    { name: 'v6 out of range', input: { list: ['fd00::/8'], addr: 'fe80::1' }, want: false },
    { name: 'v6 exact', input: { list: ['::1'], addr: '::1' }, want: true },
    { name: 'loopback name, v4', input: { list: ['loopback'], addr: '127.0.0.5' }, want: true },
    { name: 'loopback name, v6', input: { list: ['loopback'], addr: '::1' }, want: true },
    { name: 'uniquelocal name', input: { list: ['uniquelocal'], addr: '172.20.0.1' }, want: true },
    { name: 'uniquelocal, public', input: { list: ['uniquelocal'], addr: '8.8.8.8' }, want: false },
    { name: 'empty list', input: { list: [], addr: '127.0.0.1' }, want: false },
    { name: 'not an address', input: { list: ['loopback'], addr: 'unknown' }, want: false },
  ];
  for (const { name, input, want } of rows) assert.equal(compileTrust(input.list)(input.addr), want, name);
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/x', '::1/129', '']) {
    assert.throws(() => compileTrust([bad]), TypeError, bad);
  }
});

test('splitForwarded splits from the right, keeping quoted commas', () => {
  const rows = [
    { name: 'one', input: 'for=1.2.3.4', want: ['for=1.2.3.4'] },
    { name: 'two, rightmost first', input: 'for=a, for=b', want: [' for=b', 'for=a'] },
    { name: 'quoted comma', input: 'for="x,y", for=b', want: [' for=b', 'for="x,y"'] },
    { name: 'escaped quote inside', input: 'for="a\\",b", for=c', want: [' for=c', 'for="a\\",b"'] },
    { name: 'unbalanced quote on the left: the right element survives', input: 'for="oops, for=1.2.3.4', want: [' for=1.2.3.4', null] },
    { name: 'client garbage cannot swallow a later element', input: 'for="oops, for=9.9.9.9" , for=1.2.3.4', want: [' for=1.2.3.4', 'for="oops, for=9.9.9.9" '] },
    { name: 'empty elements dropped', input: 'for=a,, for=b', want: [' for=b', 'for=a'] },
  ];
  for (const { name, input, want } of rows) assert.deepEqual(splitForwarded(input), want, name);
});

test('parseForwardedElement reads pairs and rejects malformed ones', () => {
  const rows = [
    { name: 'pairs', input: 'for=192.0.2.60;proto=http;by=203.0.113.43', want: [['for', '192.0.2.60'], ['proto', 'http'], ['by', '203.0.113.43']] },
    { name: 'case-insensitive names', input: 'For="[2001:db8:cafe::17]:4711"', want: [['for', '[2001:db8:cafe::17]:4711']] },
    { name: 'quoted-pair', input: 'for="_a\\"b"', want: [['for', '_a"b']] },
    { name: 'OWS around ;', input: 'for=a ; proto=https', want: [['for', 'a'], ['proto', 'https']] },
    { name: 'no =', input: 'for', want: null },
    { name: 'duplicate parameter', input: 'for=a;for=b', want: null },
    { name: 'unquoted IPv6 is not a token', input: 'for=[::1]', want: null },
    { name: 'unterminated quote', input: 'for="a', want: null },
    { name: 'junk after a quoted value', input: 'for="a"b', want: null },
    { name: 'empty', input: '', want: null },
  ];
  for (const { name, input, want } of rows) {
    const got = parseForwardedElement(input);
    assert.deepEqual(got === null ? null : [...got], want, name);
  }
});

test('clientInfo: table', () => {
  const rows: Array<{ name: string; input: { peer: string; headers?: Record<string, string>; secure?: boolean; options?: Partial<TrustedProxyOptions> }; want: ClientInfo }> = [
    {
      name: 'no proxy configured: the peer, Host and the socket scheme',
      input: { peer: '203.0.113.9', headers: { host: 'example.com', 'x-forwarded-for': '1.1.1.1' }, options: { trustedProxies: [] } },
      want: { ip: '203.0.113.9', protocol: 'http', host: 'example.com' },
    },
    {
      name: 'spoofed X-Forwarded-* from an untrusted peer are ignored',
      input: {
        peer: '203.0.113.9',
        headers: { host: 'example.com', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'admin.internal' },
      },
      want: { ip: '203.0.113.9', protocol: 'http', host: 'example.com' },
    },
    {
      name: 'spoofed Forwarded from an untrusted peer is ignored',
      input: { peer: '203.0.113.9', headers: { host: 'a', forwarded: 'for=127.0.0.1;proto=https' }, options: { header: 'forwarded' } },
      want: { ip: '203.0.113.9', protocol: 'http', host: 'a' },
    },
    {
      name: 'trusted peer, one hop',
      input: { peer: '10.0.0.2', headers: { host: 'internal:8000', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'example.com' } },
      want: { ip: '198.51.100.7', protocol: 'https', host: 'example.com' },
    },
    {
      name: 'trusted peer without forwarding fields: the peer itself',
      input: { peer: '10.0.0.2', headers: { host: 'h' }, secure: true },
      want: { ip: '10.0.0.2', protocol: 'https', host: 'h' },
    },
    {
      name: 'chain: walk past trusted hops to the first untrusted one',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.0.0.9' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
    {
      name: 'chain: a client-supplied entry on the left cannot win',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '10.0.0.1, 198.51.100.7' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
    {
      name: 'every hop trusted: the leftmost',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '10.0.0.7, 10.0.0.8' } },
      want: { ip: '10.0.0.7', protocol: 'http', host: '' },
    },
    {
      name: 'hops: 1 stops at the peer\'s own report',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.9' }, options: { hops: 1 } },
      want: { ip: '10.0.0.9', protocol: 'http', host: '' },
    },
    {
      name: 'X-Forwarded-Proto list aligned from the right with the chosen hop',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.9', 'x-forwarded-proto': 'https, http' } },
      want: { ip: '198.51.100.7', protocol: 'https', host: '' },
    },
    {
      name: 'bad X-Forwarded-Proto and -Host fall back to the connection',
      input: { peer: '10.0.0.2', headers: { host: 'good', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'evil\r\nx: y' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: 'good' },
    },
    {
      name: 'XFF entries with ports, IPv6 in brackets',
      input: { peer: '::1', headers: { 'x-forwarded-for': '[2001:DB8::1]:4711, 198.51.100.7:5000' }, options: { trustedProxies: ['::1', '198.51.100.7'] } },
      want: { ip: '2001:db8::1', protocol: 'http', host: '' },
    },
    {
      name: 'IPv4-mapped peer and client are written as IPv4',
      input: { peer: '::ffff:10.0.0.2', headers: { 'x-forwarded-for': '::ffff:198.51.100.7' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
    {
      name: 'garbage XFF entry stops the walk at the last readable hop',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': 'not-an-ip, 10.0.0.9' } },
      want: { ip: '10.0.0.9', protocol: 'http', host: '' },
    },
    {
      name: 'garbage as the only XFF entry: the peer',
      input: { peer: '10.0.0.2', headers: { 'x-forwarded-for': '<script>' } },
      want: { ip: '10.0.0.2', protocol: 'http', host: '' },
    },
    {
      name: 'Forwarded: RFC 7239 example with IPv6, port and proto',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https;host=example.com' }, options: { header: 'forwarded' } },
      want: { ip: '2001:db8:cafe::17', protocol: 'https', host: 'example.com' },
    },
    {
      name: 'Forwarded chain: proto and host of the element that named the client',
      input: {
        peer: '10.0.0.2',
        headers: { host: 'backend', forwarded: 'for=198.51.100.7;proto=https;host=shop.example, for=10.0.0.9;proto=http;host=lb' },
        options: { header: 'forwarded' },
      },
      want: { ip: '198.51.100.7', protocol: 'https', host: 'shop.example' },
    },
    {
      name: 'Forwarded: obfuscated node is reported as the token',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=_hidden, for=10.0.0.9' }, options: { header: 'forwarded' } },
      want: { ip: '_hidden', protocol: 'http', host: '' },
    },
    {
      name: 'Forwarded: unknown node',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=unknown' }, options: { header: 'forwarded' } },
      want: { ip: 'unknown', protocol: 'http', host: '' },
    },
    {
      name: 'Forwarded: a malformed client value cannot hide the trusted proxy\'s element',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for="127.0.0.1, for=198.51.100.7' }, options: { header: 'forwarded' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
    {
      name: 'Forwarded: malformed on the left, well-formed proxy element on the right',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=;;, for=198.51.100.7;proto=https' }, options: { header: 'forwarded' } },
      want: { ip: '198.51.100.7', protocol: 'https', host: '' },
    },
    {
      name: 'Forwarded: element without for= is malformed for the walk',
      input: { peer: '10.0.0.2', headers: { forwarded: 'proto=https' }, options: { header: 'forwarded' } },
      want: { ip: '10.0.0.2', protocol: 'http', host: '' },
    },
    {
      name: 'Forwarded: unquoted IPv6 is malformed (RFC 7239 §6)',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=2001:db8::1' }, options: { header: 'forwarded' } },
      want: { ip: '10.0.0.2', protocol: 'http', host: '' },
    },
    {
      name: 'x-forwarded mode ignores Forwarded (a proxy passing it through)',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '198.51.100.7' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
    {
      name: 'forwarded mode ignores X-Forwarded-For',
      input: { peer: '10.0.0.2', headers: { forwarded: 'for=198.51.100.7', 'x-forwarded-for': '6.6.6.6' }, options: { header: 'forwarded' } },
      want: { ip: '198.51.100.7', protocol: 'http', host: '' },
    },
  ];
  for (const { name, input, want } of rows) {
    const options: TrustedProxyOptions = { trustedProxies: LB, ...input.options };
    assert.deepEqual(clientInfo(req(input.peer, input.headers, input.secure), options), want, name);
  }
});
