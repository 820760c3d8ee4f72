/**
 * Client: HTTP/1.1 requests to one origin over a pool of keep-alive connections.
 *
 * Owns the pool: which connection carries which request (an idle one first,
 * most recently used, then a new one up to `maxConnections`, then a pipelined
 * slot when `pipelining` allows it), the queue of requests waiting for a
 * connection, retries of idempotent requests a closing connection left
 * unanswered, AbortSignal handling, and `close()`/`destroy()`. Connections
 * themselves are connection.ts. Must not import server/ (DESIGN.md layers).
 *
 * @example
 * const client = new Client('http://127.0.0.1:8080');
 * const res = await client.request({ path: '/hello' });
 * console.log(res.status, await res.body.text());
 * await client.close();
 */
import { ClientAbortError, ClientClosedError } from './errors.js';
import { ClientConnection, type ConnectionOwner, type Endpoint } from './connection.js';
import { resolveClientOptions, type ClientOptions, type RequestOptions, type ResolvedClientOptions } from './options.js';
import { buildDispatch, type Dispatch } from './request.js';
import type { ClientResponse } from './response.js';

type ClientState = 'open' | 'closing' | 'closed';

/** A pool of connections to one origin (scheme, host, port). */
export class Client implements ConnectionOwner {
  readonly options: ResolvedClientOptions;
  /** The origin, e.g. 'https://example.com:8443'. */
  readonly origin: string;
  readonly #endpoint: Endpoint;
  /** Host field value: host[:port], the port left out when it is the scheme's default (RFC 9110 §7.2). */
  readonly #host: string;
  readonly #conns = new Set<ClientConnection>();
  /** Connections with room for a request, most recently used last (reused first: warm, and the others can time out). */
  #ready: ClientConnection[] = [];
  /** Requests waiting for a connection, in order. */
  #queue: Dispatch[] = [];
  #state: ClientState = 'open';
  /** #dispatch() is running: a connection that becomes ready during a send is seen by the running loop. */
  #dispatching = false;
  #closeWaiters: Array<() => void> = [];

  /**
   * @param origin 'http://host[:port]' or 'https://host[:port]'; a path, query or credentials are refused.
   * @param options limits, timeouts and TLS settings (docs/limits.md, "Client").
   */
  constructor(origin: string | URL, options: ClientOptions = {}) {
    const url = typeof origin === 'string' ? new URL(origin) : origin;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '' || url.password !== '') {
      throw new TypeError('a Client origin is scheme://host[:port] only');
    }
    this.options = resolveClientOptions(options);
    this.origin = url.origin;
    this.#host = url.host;
    this.#endpoint = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    };
  }

  /** Connections open (or opening) to the origin. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Requests waiting for a connection. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Requests written and not yet fully answered (a response whose body is still arriving counts). */
  get inflight(): number {
    let n = 0;
    for (const conn of this.#conns) n += conn.inflight;
    return n;
  }

  /**
   * Sends a request; resolves with the response once its head has arrived (the body streams
   * after). Rejects with a ClientError (ERR_CONNECT, ERR_*_TIMEOUT, ERR_ABORTED, ERR_SOCKET...)
   * or a ResponseError (ERR_RESPONSE_*, an invalid response). Throws TypeError at once for a
   * request that cannot be sent as asked (a bad method, path, field or framing).
   */
  request(options: RequestOptions = {}): Promise<ClientResponse> {
    if (this.#state !== 'open') return Promise.reject(new ClientClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new ClientAbortError(signal.reason));
    let resolve!: (res: ClientResponse) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<ClientResponse>((a, b) => {
      resolve = a;
      reject = b;
    });
    let onAbort: (() => void) | undefined;
    // Built before anything is queued: a request that cannot be sent as asked throws here.
    const d = buildDispatch(
      options,
      this.#host,
      this.options.httpVersion,
      (res) => {
        if (onAbort !== undefined) {
          // The signal now governs the body: aborting destroys it (and the connection, via the body's close).
          const stop = onAbort;
          res.body.once('close', () => signal!.removeEventListener('abort', stop));
        }
        resolve(res);
      },
      (err) => {
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
    if (signal !== undefined) {
      onAbort = () => this.#abort(d, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#queue.push(d);
    this.#dispatch();
    return promise;
  }

  /** Stops taking requests, lets those queued and in flight finish, then closes every connection. */
  close(): Promise<void> {
    if (this.#state === 'open') this.#state = 'closing';
    this.#closeIdle();
    if (this.#conns.size === 0 && this.#queue.length === 0) {
      this.#state = 'closed';
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Closes every connection now; requests queued or in flight fail with `err` (default ERR_CLIENT_CLOSED). */
  destroy(err: Error = new ClientClosedError()): void {
    this.#state = 'closed';
    const queued = this.#queue;
    this.#queue = [];
    for (const d of queued) {
      d.settled = true;
      d.reject(err);
    }
    for (const conn of [...this.#conns]) conn.destroy(err);
    this.#maybeClosed();
  }

  // ---- ConnectionOwner ------------------------------------------------------

  onReady(conn: ClientConnection): void {
    if (!this.#ready.includes(conn)) this.#ready.push(conn);
    this.#dispatch();
    if (this.#state === 'closing') this.#closeIdle();
  }

  onClosed(conn: ClientConnection, unanswered: Dispatch[]): void {
    this.#conns.delete(conn);
    const i = this.#ready.indexOf(conn);
    if (i !== -1) this.#ready.splice(i, 1);
    if (unanswered.length > 0) {
      if (this.#state === 'closed') {
        for (const d of unanswered) {
          d.settled = true;
          d.reject(new ClientClosedError());
        }
      } else {
        // RFC 9112 §9.3.1, §9.3.2: resend, ahead of newer requests, on another connection.
        this.#queue.unshift(...unanswered);
      }
    }
    this.#dispatch();
    this.#maybeClosed();
  }

  // ---- pool -----------------------------------------------------------------

  #dispatch(): void {
    // Not re-entered: send() can report a connection ready (a pipelined slot), and a nested loop
    // per request would grow the stack with the queue.
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      while (this.#queue.length > 0 && this.#state !== 'closed') {
        const d = this.#queue[0];
        const conn = this.#pick(d);
        if (conn === undefined) return;
        this.#queue.shift();
        conn.send(d);
        if (!conn.canTake(d)) {
          const i = this.#ready.indexOf(conn);
          if (i !== -1) this.#ready.splice(i, 1);
        }
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /** A connection for `d`: a ready one (most recent first), else a new one, else none. */
  #pick(d: Dispatch): ClientConnection | undefined {
    for (let i = this.#ready.length - 1; i >= 0; i--) {
      const conn = this.#ready[i];
      if (conn.state === 'closed') {
        this.#ready.splice(i, 1);
        continue;
      }
      // An idle connection first; a pipelined slot only when no new connection may be opened.
      if (conn.inflight === 0 && conn.canTake(d)) return conn;
    }
    if (this.#conns.size < this.options.maxConnections) {
      const conn = new ClientConnection(this, this.#endpoint);
      this.#conns.add(conn);
      this.#ready.push(conn);
      return conn;
    }
    for (let i = this.#ready.length - 1; i >= 0; i--) {
      const conn = this.#ready[i];
      if (conn.canTake(d)) return conn;
    }
    return undefined;
  }

  #abort(d: Dispatch, reason: unknown): void {
    if (d.settled && d.response === null) return;
    const i = this.#queue.indexOf(d);
    if (i !== -1) {
      this.#queue.splice(i, 1);
      d.settled = true;
      d.reject(new ClientAbortError(reason));
      this.#maybeClosed();
      return;
    }
    if (d.response !== null) {
      // The head arrived: the abort reaches the body (the connection closes with it, see connection.ts).
      d.response.body.destroy(new ClientAbortError(reason));
      return;
    }
    for (const conn of this.#conns) conn.abort(d, reason);
  }

  #closeIdle(): void {
    if (this.#state === 'open' || this.#queue.length > 0) return;
    for (const conn of [...this.#conns]) if (conn.inflight === 0) conn.destroy();
  }

  #maybeClosed(): void {
    if (this.#state === 'open' || this.#conns.size > 0 || this.#queue.length > 0) return;
    this.#state = 'closed';
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const w of waiters) w();
  }
}
