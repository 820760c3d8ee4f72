// Tests for HTTPS in src/server/server.ts: the same Connection over node:tls (issue #3).
// The certificate is generated here with openssl into a temp dir; skipped only when openssl is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import type { Handler } from '../../src/server/handler.js';
import { Server } from '../../src/server/server.js';
import { FIXED_DATE, FIXED_NOW_MS, TEST_TIMEOUT_MS } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

const clock = (): number => FIXED_NOW_MS;
const D = FIXED_DATE;

let dir = '';
let key: Buffer | undefined;
let cert: Buffer | undefined;
let skipReason: string | false = false;

before(() => {
  dir = tempDir('tls');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore', timeout: 30_000 },
    );
    key = fs.readFileSync(path.join(dir, 'key.pem'));
    cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') skipReason = 'openssl is not installed: cannot generate a test certificate';
    else throw err;
  }
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens a TLS connection trusting only the test certificate, sends `request`, returns every byte until close. */
function tlsExchange(port: number, request: string, keepOpenFor?: (socket: tls.TLSSocket) => void): Promise<{ text: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert }, () => {
      socket.write(request);
      keepOpenFor?.(socket);
    });
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text: Buffer.concat(parts).toString('latin1'), socket }));
  });
}

async function withTlsServer(handler: Handler, fn: (port: number) => Promise<void>): Promise<void> {
  const server = new Server(handler, { clock, tls: { key, cert }, onError: () => {} });
  await server.listen(0, '127.0.0.1');
  try {
    await fn(server.port);
  } finally {
    await server.close(100);
  }
}

test('HTTPS: a request over node:tls is answered, and req.isSecure is true', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const seen: boolean[] = [];
  await withTlsServer((req, res) => {
    seen.push(req.isSecure);
    res.end(`secure=${req.isSecure} ${req.path}`);
  }, async (port) => {
    const { text, socket } = await tlsExchange(port, 'GET /tls HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.equal(text, `HTTP/1.1 200 OK\r\n${D}Content-Length: 16\r\nConnection: close\r\n\r\nsecure=true /tls`);
    assert.equal(socket.authorized, true, 'the certificate verified against the test CA');
    assert.deepEqual(seen, [true]);
  });
});

test('HTTPS: keep-alive and pipelining work the same as over TCP', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  await withTlsServer((req, res) => {
    res.write(req.path);
    res.end();
  }, async (port) => {
    const { text } = await tlsExchange(
      port,
      'GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\n\r\nGET /c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    const chunked = (p: string, close: boolean): string =>
      `HTTP/1.1 200 OK\r\n${D}Transfer-Encoding: chunked\r\n${close ? 'Connection: close\r\n' : ''}\r\n2\r\n${p}\r\n0\r\n\r\n`;
    assert.equal(text, chunked('/a', false) + chunked('/b', false) + chunked('/c', true));
  });
});

test('HTTPS: a request body is read through TLS, and protocol errors get their status', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  await withTlsServer(async (req, res) => res.end((await req.text()).toUpperCase()), async (port) => {
    const ok = await tlsExchange(port, 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    assert.equal(ok.text, `HTTP/1.1 200 OK\r\n${D}Content-Length: 5\r\nConnection: close\r\n\r\nHELLO`);
    const bad = await tlsExchange(port, 'GET / HTTP/1.1\r\n\r\n');
    assert.match(bad.text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n/);
  });
});

test('HTTPS: a plain-text client on the TLS port is dropped and the server keeps serving', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  await withTlsServer((_req, res) => res.end('ok'), async (port) => {
    const text = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
    });
    assert.ok(!text.startsWith('HTTP/1.1 200'), 'no plain-text answer on a TLS port');
    const { text: good } = await tlsExchange(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.ok(good.endsWith('\r\n\r\nok'));
  });
});

/** Resolves when `socket` closes; its errors (a failed handshake) are expected. */
function closeOf(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => {});
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

test('HTTPS: close(100) resolves after a client aborted the handshake by rejecting the certificate (issue #14)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = new Server((_req, res) => res.end('ok'), { clock, tls: { key, cert }, onError: () => {} });
  await server.listen(0, '127.0.0.1');
  // No `ca`: the self-signed certificate fails verification; the client closes right after the
  // handshake. The server's socket, half-open and waiting for the rest of the handshake, used
  // to stay forever: listener.close() never called back and close() never resolved.
  const client = tls.connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: true });
  const failed = new Promise<string>((resolve) => client.once('error', (err: NodeJS.ErrnoException) => resolve(String(err.code))));
  await closeOf(client);
  assert.equal(await failed, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  await server.close(100);
  assert.equal(server.address(), null, 'the listener is closed');
});

test('HTTPS: close(deadline) destroys a socket still in its handshake at the deadline (issue #14)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  // tlsHandshakeTimeoutMs (10 s by default) is longer than the deadline: only close() can end it.
  const server = new Server((_req, res) => res.end('ok'), { clock, tls: { key, cert }, onError: () => {} });
  await server.listen(0, '127.0.0.1');
  const silent = net.connect(server.port, '127.0.0.1'); // connects, never sends a ClientHello
  const silentClosed = closeOf(silent);
  await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
  // The server must hold the socket before close() stops the listener: one request on another
  // connection is answered after the accept of the first (the listener accepts in order).
  const { text } = await tlsExchange(server.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  assert.ok(text.endsWith('\r\n\r\nok'));
  await server.close(50);
  await silentClosed;
});

test('HTTPS: tlsHandshakeTimeoutMs closes a client that never finishes its handshake', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = new Server((_req, res) => res.end('ok'), { clock, tls: { key, cert }, tlsHandshakeTimeoutMs: 100, onError: () => {} });
  await server.listen(0, '127.0.0.1');
  try {
    const silent = net.connect(server.port, '127.0.0.1');
    await closeOf(silent); // closed by the server: nothing else ends this socket
  } finally {
    await server.close(100);
  }
});

test('HTTPS: a client that half-closes after its request still gets the response (allowHalfOpen after the handshake)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  await withTlsServer((req, res) => res.end(`got ${req.path}`), async (port) => {
    const { text } = await new Promise<{ text: string }>((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert }, () => {
        socket.end('GET /half HTTP/1.1\r\nHost: localhost\r\n\r\n'); // request, then FIN
      });
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('error', reject);
      socket.on('close', () => resolve({ text: Buffer.concat(parts).toString('latin1') }));
    });
    assert.equal(text, `HTTP/1.1 200 OK\r\n${D}Content-Length: 9\r\n\r\ngot /half`);
  });
});
