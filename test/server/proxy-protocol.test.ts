/**
 * Tests of src/server/proxy-protocol.ts: the parser on exact bytes (whole, byte by
 * byte, with the HTTP request after it) and the Server's `proxyProtocol` option over
 * real sockets on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import {
  NEED_MORE,
  PROXY_V2_SIGNATURE,
  ProxyProtocolError,
  parseProxyHeader,
  type ProxyHeader,
} from '../../src/server/proxy-protocol.js';
import { Server } from '../../src/server/server.js';
import { exchange } from '../helpers/socket.js';

/** A v2 header: command (0 LOCAL, 1 PROXY), family/transport byte, address block, TLV bytes. */
function v2(cmd: number, famProto: number, block: number[], tlvs: number[] = []): Buffer {
  const body = Buffer.from([...block, ...tlvs]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20 | cmd, famProto]), len, body]);
}

const INET_BLOCK = [198, 51, 100, 7, 10, 0, 0, 1, 0x12, 0x34, 0x00, 0x50]; // 198.51.100.7:4660 -> 10.0.0.1:80
const INET6_BLOCK = [
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // 2001:db8::1
  0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, // fd00::2
  0x11, 0x5c, 0x01, 0xbb, // 4444 -> 443
];
const TLV_ALPN = [0x01, 0x00, 0x02, 0x68, 0x32]; // PP2_TYPE_ALPN "h2", skipped

const VALID: Array<{ name: string; input: Buffer; want: ProxyHeader }> = [
  {
    name: 'v1 TCP4',
    input: Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.1 56324 80\r\n'),
    want: { version: 1, command: 'proxy', source: { address: '198.51.100.7', port: 56324 }, destination: { address: '10.0.0.1', port: 80 } },
  },
  {
    name: 'v1 TCP6',
    input: Buffer.from('PROXY TCP6 2001:db8::1 fd00::2 4444 443\r\n'),
    want: { version: 1, command: 'proxy', source: { address: '2001:db8::1', port: 4444 }, destination: { address: 'fd00::2', port: 443 } },
  },
  { name: 'v1 UNKNOWN', input: Buffer.from('PROXY UNKNOWN\r\n'), want: { version: 1, command: 'local' } },
  { name: 'v1 UNKNOWN with addresses ignored', input: Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'), want: { version: 1, command: 'local' } },
  {
    name: 'v2 PROXY TCP4',
    input: v2(1, 0x11, INET_BLOCK),
    want: { version: 2, command: 'proxy', source: { address: '198.51.100.7', port: 4660 }, destination: { address: '10.0.0.1', port: 80 } },
  },
  {
    name: 'v2 PROXY TCP6 with a TLV skipped',
    input: v2(1, 0x21, INET6_BLOCK, TLV_ALPN),
    want: { version: 2, command: 'proxy', source: { address: '2001:db8::1', port: 4444 }, destination: { address: 'fd00::2', port: 443 } },
  },
  { name: 'v2 LOCAL (health check)', input: v2(0, 0x00, []), want: { version: 2, command: 'local' } },
  { name: 'v2 LOCAL with an address block', input: v2(0, 0x11, INET_BLOCK), want: { version: 2, command: 'local' } },
  { name: 'v2 PROXY UNSPEC', input: v2(1, 0x00, []), want: { version: 2, command: 'local' } },
];

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');

test('parseProxyHeader: valid headers whole, byte by byte, and followed by the request', () => {
  for (const { name, input, want } of VALID) {
    assert.deepEqual(parseProxyHeader(input), { header: want, consumed: input.length }, `${name} (whole)`);
    for (let n = 0; n < input.length; n++) assert.equal(parseProxyHeader(input.subarray(0, n)), NEED_MORE, `${name} (prefix ${n})`);
    assert.deepEqual(parseProxyHeader(Buffer.concat([input, REQUEST])), { header: want, consumed: input.length }, `${name} (+request)`);
  }
});

test('parseProxyHeader: malformed headers throw ProxyProtocolError', () => {
  const withVerCmd = (b: Buffer, byte: number): Buffer => {
    const c = Buffer.from(b);
    c[12] = byte;
    return c;
  };
  const rows: Array<{ name: string; input: Buffer; want: RegExp }> = [
    { name: 'plain HTTP, no header', input: REQUEST, want: /no PROXY protocol header/ },
    { name: 'HTTP method starting with P', input: Buffer.from('POST / HTTP/1.1\r\n'), want: /bad v1 signature/ },
    { name: 'v1 lower case', input: Buffer.from('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), want: /no PROXY protocol header/ },
    { name: 'v1 bare LF', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), want: /bad v1 line end/ },
    { name: 'v1 double space', input: Buffer.from('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), want: /6 fields/ },
    { name: 'v1 family mismatch', input: Buffer.from('PROXY TCP4 ::1 5.6.7.8 1 2\r\n'), want: /does not match/ },
    { name: 'v1 unknown protocol', input: Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), want: /TCP4, TCP6 or UNKNOWN/ },
    { name: 'v1 port too big', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), want: /bad v1 port/ },
    { name: 'v1 port leading zero', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'), want: /bad v1 port/ },
    { name: 'v1 no CRLF within 107 bytes', input: Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}`), want: /too long/ },
    { name: 'v1 line over 107 bytes', input: Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`), want: /bad v1 line end/ },
    { name: 'v2 bad signature', input: Buffer.from('\r\n\r\n\0\r\nQUIT\r'), want: /bad v2 signature/ },
    { name: 'v2 version 1', input: withVerCmd(v2(1, 0x11, INET_BLOCK), 0x11), want: /version must be 2/ },
    { name: 'v2 command 2', input: withVerCmd(v2(1, 0x11, INET_BLOCK), 0x22), want: /LOCAL or PROXY/ },
    { name: 'v2 DGRAM', input: v2(1, 0x12, INET_BLOCK), want: /DGRAM/ },
    { name: 'v2 INET block too short', input: v2(1, 0x11, INET_BLOCK.slice(0, 8)), want: /INET block too short/ },
    { name: 'v2 INET6 block too short', input: v2(1, 0x21, INET_BLOCK), want: /INET6 block too short/ },
    { name: 'v2 larger than maxProxyHeaderBytes', input: v2(1, 0x11, INET_BLOCK, new Array(5000).fill(0)), want: /maxProxyHeaderBytes/ },
  ];
  for (const { name, input, want } of rows) {
    assert.throws(() => parseProxyHeader(input), (err: unknown) => err instanceof ProxyProtocolError && want.test(err.message), name);
  }
});

// ---- over real sockets ------------------------------------------------------------

async function withProxyServer(fn: (port: number) => Promise<void>, options: { proxyHeaderTimeoutMs?: number } = {}): Promise<void> {
  const server = new Server(
    (req, res) => {
      res.headers.set('Content-Type', 'text/plain');
      res.end(`${req.remoteAddress} ${req.remotePort}`);
    },
    { proxyProtocol: true, ...options },
  );
  await server.listen(0, '127.0.0.1');
  try {
    await fn(server.port);
  } finally {
    await server.close(100);
  }
}

const BODY = /\r\n\r\n(.*)$/s;

test('proxyProtocol: the request sees the client address of a v1 or v2 header', async () => {
  await withProxyServer(async (port) => {
    const rows = [
      { name: 'v1 TCP4, one write', input: [Buffer.concat([VALID[0]!.input, REQUEST])], want: '198.51.100.7 56324' },
      { name: 'v1 TCP6, byte by byte', input: [...Buffer.concat([VALID[1]!.input, REQUEST])].map((b) => Buffer.from([b])), want: '2001:db8::1 4444' },
      { name: 'v2 TCP4, header then request', input: [VALID[4]!.input, REQUEST], want: '198.51.100.7 4660' },
      { name: 'v2 TCP6 with TLV, split inside the header', input: [VALID[5]!.input.subarray(0, 20), Buffer.concat([VALID[5]!.input.subarray(20), REQUEST])], want: '2001:db8::1 4444' },
    ];
    for (const { name, input, want } of rows) {
      const got = (await exchange(port, input, { until: /\r\n\r\n.+ \d+$/s })).text;
      assert.match(got, /^HTTP\/1\.1 200 OK\r\n/, name);
      assert.equal(BODY.exec(got)?.[1], want, name);
    }
  });
});

test('proxyProtocol: LOCAL and UNKNOWN keep the real peer', async () => {
  await withProxyServer(async (port) => {
    for (const header of [VALID[2]!.input, VALID[6]!.input]) {
      const got = (await exchange(port, [Buffer.concat([header, REQUEST])], { until: /\r\n\r\n.+ \d+$/s })).text;
      assert.match(BODY.exec(got)?.[1] ?? '', /^127\.0\.0\.1 \d+$/);
    }
  });
});

test('proxyProtocol: every request of a keep-alive connection carries the header address', async () => {
  await withProxyServer(async (port) => {
    const got = (await exchange(port, [VALID[0]!.input, REQUEST, REQUEST], { until: /(198\.51\.100\.7 56324[^]*){2}/ })).text;
    assert.equal(got.match(/198\.51\.100\.7 56324/g)?.length, 2);
  });
});

test('proxyProtocol: a missing or malformed header closes the connection without a byte', async () => {
  await withProxyServer(async (port) => {
    const rows = [
      { name: 'plain HTTP', input: [REQUEST] },
      { name: 'bad v1', input: [Buffer.from('PROXY TCP4 1.2.3.4 ::1 1 2\r\n'), REQUEST] },
      { name: 'bad v2', input: [v2(1, 0x12, INET_BLOCK), REQUEST] },
      { name: 'v1 too long', input: [Buffer.from(`PROXY TCP4 ${'1'.repeat(200)}`)] },
    ];
    for (const { name, input } of rows) assert.equal((await exchange(port, input)).text, '', name);
  });
});

test('proxyProtocol: a header that does not arrive in proxyHeaderTimeoutMs closes the connection', async () => {
  await withProxyServer(
    async (port) => {
      const socket = net.connect(port, '127.0.0.1');
      try {
        await once(socket, 'connect');
        socket.write('PROXY TCP4 '); // and nothing more
        let got = '';
        socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
        await once(socket, 'close');
        assert.equal(got, '');
      } finally {
        socket.destroy();
      }
    },
    { proxyHeaderTimeoutMs: 50 },
  );
});

test('proxyProtocol with tls is refused at construction', () => {
  assert.throws(() => new Server(() => {}, { proxyProtocol: true, tls: {} }), /not supported with tls/);
});

test('proxyProtocol: close() destroys connections still sending their header', { timeout: 5_000 }, async () => {
  // The header timeout is far beyond the test's: only close() can end the pending socket.
  const server = new Server((_req, res) => res.end('ok'), { proxyProtocol: true, proxyHeaderTimeoutMs: 60_000 });
  await server.listen(0, '127.0.0.1');
  const socket = net.connect(server.port, '127.0.0.1');
  try {
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('PROXY TCP4 1.2.3.4');
    // A later connection answered means the server has accepted the first one (accept order).
    const got = (await exchange(server.port, [Buffer.concat([VALID[0]!.input, Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')])])).text;
    assert.match(got, /\r\n\r\nok$/);
    const closed = once(socket, 'close');
    await server.close(60_000);
    await closed;
  } finally {
    socket.destroy();
  }
});
