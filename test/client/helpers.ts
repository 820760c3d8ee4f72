/**
 * Test helpers for src/client over real sockets (#17).
 *
 * Owns three kinds of peer on 127.0.0.1:0, each closed by the helper that
 * opened it: keel's own Server, node:http (the reference server; tests may use
 * it, src/ may not), and a scripted node:net server that answers each request
 * head with whatever bytes a test wants, however hostile. Also a throwaway
 * self-signed certificate (openssl) for TLS tests.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/handler.js';
import type { ServerOptions } from '../../src/server/options.js';
import { tempDir } from '../helpers/tmp.js';

/** Runs `fn` against keel's Server; always closes it. */
export async function withKeel(handler: Handler, fn: (origin: string, server: Server) => Promise<void>, options: ServerOptions = {}): Promise<void> {
  const server = new Server(handler, { onError: () => {}, ...options });
  await server.listen(0, '127.0.0.1');
  try {
    await fn(`${options.tls ? 'https' : 'http'}://127.0.0.1:${server.port}`, server);
  } finally {
    await server.close(100);
  }
}

/** Runs `fn` against a node:http server; always closes it and its connections. */
export async function withNodeHttp(handler: http.RequestListener, fn: (origin: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** What a scripted server saw on one connection. */
export interface ScriptedConnection {
  readonly socket: net.Socket;
  /** 0 for the server's first connection, 1 for the next... */
  readonly index: number;
  /** Request heads received so far (through the blank line), in order. */
  readonly heads: string[];
}

/**
 * A node:net server that calls `onHead(conn, head, index)` for each request head it reads (the
 * bytes up to and including the blank line; request bodies are not parsed: a test that sends one
 * reads it from `conn.socket` itself or sends none). The script writes whatever it likes.
 */
export async function withScripted(
  onHead: (conn: ScriptedConnection, head: string, index: number) => void,
  fn: (origin: string, state: { connections: ScriptedConnection[] }) => Promise<void>,
): Promise<void> {
  const connections: ScriptedConnection[] = [];
  const server = net.createServer((socket) => {
    const conn: ScriptedConnection = { socket, index: connections.length, heads: [] };
    connections.push(conn);
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) break;
        const head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        conn.heads.push(head);
        onHead(conn, head, conn.heads.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { connections });
  } finally {
    for (const c of connections) c.socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A self-signed certificate for CN=localhost (and 127.0.0.1), or null when openssl is missing. */
export function selfSignedCert(): { key: Buffer; cert: Buffer } | null {
  const dir = tempDir('client-tls');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A promise and its resolve function: tests wait for events with it, never for time. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves with the error a promise rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
