/**
 * Test helpers for the server core over real sockets (issue #3).
 *
 * Owns a raw node:net client that reads HTTP/1.1 responses byte-exactly
 * (head, then a body framed by Content-Length, chunked or close) and a
 * `withServer()` wrapper that always closes what it opened. It never uses
 * node:http: the point is to see the exact bytes keel puts on the wire.
 */
import net from 'node:net';
import { Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/handler.js';
import type { ServerOptions } from '../../src/server/options.js';

/** A fixed clock for deterministic Date headers: Thu, 01 Jan 2026 00:00:00 GMT. */
export const FIXED_NOW_MS = Date.UTC(2026, 0, 1);
/** The Date line every response carries under `FIXED_NOW_MS`. */
export const FIXED_DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';

/** One response as read off the wire. */
export interface RawResponse {
  /** Status line through the blank line, exactly as received. */
  head: string;
  status: number;
  /** Header fields with lower-cased names (repeated names joined with ", "). */
  headers: Record<string, string>;
  /** The body after transfer decoding. */
  body: Buffer;
  /** The body bytes as they were framed on the wire (chunk framing included). */
  rawBody: Buffer;
  /** Trailer section lines of a chunked body (without the final CRLF). */
  trailers: string;
  /** Every byte of this response: head + rawBody. */
  raw: Buffer;
}

/** A raw TCP client that buffers everything it receives. */
export class RawClient {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  /** Chunks received since the last read, joined lazily: concatenating on every 'data' would be quadratic. */
  #pending: Buffer[] = [];
  /** Bytes in #pending, so waiting for a length does not concatenate on every chunk (O(n²) for a large body). */
  #pendingBytes = 0;
  #ended = false;
  #closed = false;
  #error: Error | null = null;
  #waiters: Array<() => void> = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      this.#wake();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', (err) => {
      this.#error = err;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#ended = true;
      this.#wake();
    });
  }

  /** Connects to 127.0.0.1:port. `allowHalfOpen` keeps our side open after the server's FIN. */
  static connect(port: number, allowHalfOpen = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** True once the server ended its side (FIN) or the socket closed. */
  get ended(): boolean {
    return this.#ended;
  }
  /** The socket error seen, if any (ECONNRESET...). */
  get error(): Error | null {
    return this.#error;
  }
  /** Bytes received and not consumed yet. */
  get buffered(): Buffer {
    if (this.#pending.length > 0) {
      this.#buf = Buffer.concat([this.#buf, ...this.#pending]);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    return this.#buf;
  }

  /** Writes bytes (a string is sent as latin1, byte for byte). */
  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => (err ? reject(err) : resolve()));
    });
  }

  #wake(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  /** Waits until `ready()` is true (checked after each event), or fails after `timeoutMs`. */
  waitFor(ready: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.buffered.toString('latin1').slice(0, 300))}`)), timeoutMs);
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else if (this.#ended && !ready()) {
          clearTimeout(timer);
          reject(new Error(`connection ended while waiting for ${what}; got ${JSON.stringify(this.buffered.toString('latin1').slice(0, 300))}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** Takes `n` bytes off the buffer, waiting for them. */
  async take(n: number): Promise<Buffer> {
    await this.waitFor(() => this.#buf.length + this.#pendingBytes >= n, `${n} bytes`);
    const out = this.buffered.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Takes everything up to and including `delimiter`. */
  async takeUntil(delimiter: string): Promise<Buffer> {
    const d = Buffer.from(delimiter, 'latin1');
    await this.waitFor(() => this.buffered.indexOf(d) !== -1, JSON.stringify(delimiter));
    return this.take(this.buffered.indexOf(d) + d.length);
  }

  /** Resolves when the peer has closed; returns every byte left unread. */
  async readToEnd(timeoutMs = 3000): Promise<Buffer> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for close; got ${JSON.stringify(this.buffered.toString('latin1').slice(0, 300))}`)), timeoutMs);
      const check = (): void => {
        if (this.#ended) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      check();
    });
    const out = this.buffered;
    this.#buf = Buffer.alloc(0);
    return out;
  }

  /** Resolves when the socket is fully closed (or after `timeoutMs`, rejecting). */
  waitClosed(timeoutMs = 3000): Promise<void> {
    return this.waitForClose(timeoutMs);
  }

  private waitForClose(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return resolve();
      const timer = setTimeout(() => reject(new Error('timed out waiting for the socket to close')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Reads one response. `isHead` says the request was HEAD (no body whatever the
   * headers say); 1xx, 204 and 304 never have one (RFC 9112 §6.3).
   */
  async readResponse(isHead = false): Promise<RawResponse> {
    const headBuf = await this.takeUntil('\r\n\r\n');
    const head = headBuf.toString('latin1');
    const status = Number(head.slice(9, 12));
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n').slice(1, -2)) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).toLowerCase();
      const value = line.slice(i + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    let body: Buffer = Buffer.alloc(0);
    let rawBody: Buffer = Buffer.alloc(0);
    let trailers = '';
    if (isHead || status < 200 || status === 204 || status === 304) {
      // no body
    } else if (headers['transfer-encoding'] !== undefined) {
      const parts: Buffer[] = [];
      const raws: Buffer[] = [];
      for (;;) {
        const sizeLine = await this.takeUntil('\r\n');
        raws.push(sizeLine);
        const size = parseInt(sizeLine.toString('latin1'), 16);
        if (size === 0) break;
        const data = await this.take(size + 2);
        raws.push(data);
        parts.push(data.subarray(0, size));
      }
      for (;;) {
        const line = await this.takeUntil('\r\n');
        raws.push(line);
        if (line.length === 2) break;
        trailers += line.toString('latin1');
      }
      body = Buffer.concat(parts);
      rawBody = Buffer.concat(raws);
    } else if (headers['content-length'] !== undefined) {
      body = await this.take(Number(headers['content-length']));
      rawBody = body;
    } else {
      body = await this.readToEnd();
      rawBody = body;
    }
    return { head, status, headers, body, rawBody, trailers, raw: Buffer.concat([headBuf, rawBody]) };
  }

  /** Closes our side and waits for the socket to go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.destroy();
    await closed;
  }
}

/** Starts a server on 127.0.0.1:0 (errors go to `errors`, not the console). */
export async function startServer(
  handler: Handler,
  options: ServerOptions = {},
): Promise<{ server: Server; port: number; errors: Array<{ err: unknown; context: string }> }> {
  const errors: Array<{ err: unknown; context: string }> = [];
  const server = new Server(handler, { onError: (err, context) => errors.push({ err, context }), ...options });
  await server.listen(0, '127.0.0.1');
  return { server, port: server.port, errors };
}

/**
 * Runs `fn` with a started server and closes the server and every client it
 * opened through `connect`, even when `fn` throws.
 */
export async function withServer(
  handler: Handler,
  options: ServerOptions,
  fn: (ctx: {
    server: Server;
    port: number;
    errors: Array<{ err: unknown; context: string }>;
    connect: () => Promise<RawClient>;
  }) => Promise<void>,
): Promise<void> {
  const { server, port, errors } = await startServer(handler, options);
  const clients: RawClient[] = [];
  const connect = async (): Promise<RawClient> => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };
  try {
    await fn({ server, port, errors, connect });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close(100);
  }
}

/**
 * A clock the test moves by hand (`now += ms`), for the `clock` option. The server's
 * timeout sweep reads it once per tick and checks every deadline in that same turn, so
 * `reads(n)` (resolving once the clock has been read `n` more times) is the event "the
 * sweep has seen this time": no sleeping for a guessed number of ticks.
 */
export class ManualClock {
  now: number;
  #reads = 0;
  #waiters: Array<{ at: number; resolve: () => void }> = [];

  constructor(start = FIXED_NOW_MS) {
    this.now = start;
  }

  /** The `clock` option: returns `now` and counts the read. */
  readonly clock = (): number => {
    this.#reads++;
    this.#waiters = this.#waiters.filter((w) => (w.at <= this.#reads ? (w.resolve(), false) : true));
    return this.now;
  };

  /** Resolves after `n` more reads of the clock (the sweep reads it once per tick). */
  reads(n: number): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ at: this.#reads + n, resolve }));
  }
}

/** A promise with its resolve function exposed (for handlers the test releases by hand). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls `ready` every few ms until true; fails after `timeoutMs` (for server-side state that has no event). */
export async function until(ready: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!ready()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Per-test bound: a server bug that loses a response must fail the test, not hang the suite. */
export const TEST_TIMEOUT_MS = 15_000;
