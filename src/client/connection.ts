/**
 * ClientConnection: one socket to the origin, driving the sans-IO ResponseParser.
 *
 * Owns one connection's life: connecting (TCP, or TLS with SNI and certificate
 * checks), writing requests in order (a pipelined batch, or one request whose
 * body streams with backpressure), `Expect: 100-continue`, reading responses
 * and feeding their bodies to the consumer with backpressure, persistence
 * (RFC 9112 §9.3), the connect/headers/body/idle timeouts, and failing or
 * handing back for a retry the requests a broken connection leaves unanswered.
 * The pool (client.ts) decides which connection gets which request. Must not
 * import server/.
 *
 * Theory of operation
 * -------------------
 * Every request is announced to the parser (`expectResponse`) before its bytes
 * leave, then queued in `#inflight`; responses complete them first in, first
 * out. Socket bytes go into the parser as they arrive and `#pump()` drains its
 * events into the head of the queue. When the consumer's stream is full the
 * pump stops and the socket is paused; reading the body resumes both.
 *
 *   connecting ─► open ◄──► (busy: inflight > 0) ─► closed
 *
 * A response whose head says close, a request that said close, a failure, or
 * `maxRequestsPerConnection` makes the connection close after the last
 * response; requests still queued behind that response were never answered
 * and go back to the pool (RFC 9112 §9.3.2) when they are idempotent.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CHUNK_END, chunkHeader, LAST_CHUNK } from '../wire/chunked.js';
import { ProtocolError } from '../wire/errors.js';
import { NEED_DATA, PAUSED } from '../wire/parser.js';
import { ResponseParser } from '../wire/response-parser.js';
import { ClientAbortError, ClientTimeoutError, ConnectError, RequestBodyError, SocketError } from './errors.js';
import type { ResolvedClientOptions } from './options.js';
import { isRetryable, type Dispatch } from './request.js';
import { ClientResponse, ResponseBody } from './response.js';

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly options: ResolvedClientOptions;
  /** The connection can take another request (idle, or room for a pipelined one). */
  onReady(conn: ClientConnection): void;
  /** The connection is gone; `unanswered` are requests to send again elsewhere. */
  onClosed(conn: ClientConnection, unanswered: Dispatch[]): void;
}

/** Where to connect. */
export interface Endpoint {
  readonly protocol: 'http:' | 'https:';
  /** Hostname without brackets (an IPv6 literal is bare). */
  readonly hostname: string;
  readonly port: number;
}

type ConnState = 'connecting' | 'open' | 'closed';

/** Bodies up to this size are copied next to the head and leave in one write (one syscall, one packet). */
const COALESCE_MAX_BYTES = 16 * 1024;

/** One connection to the origin. */
export class ClientConnection {
  readonly #owner: ConnectionOwner;
  readonly #options: ResolvedClientOptions;
  readonly #socket: net.Socket;
  readonly #parser: ResponseParser;
  #state: ConnState = 'connecting';
  /** Requests written (or being written) and not yet answered, oldest first. */
  readonly #inflight: Dispatch[] = [];
  /** A request whose body is still being sent (a stream, or held for 100-continue): nothing else is written meanwhile. */
  #writing: Dispatch | null = null;
  /** The request held for 100-continue, and its timer. */
  #continueTimer: NodeJS.Timeout | undefined;
  /** Requests sent on this connection. */
  #requests = 0;
  /** False once this connection must close after its last response. */
  #reusable = true;
  /** The consumer's stream is full: the socket is paused and the pump stopped. */
  #paused = false;
  #pumping = false;
  /** The server closed its side: once the parser's events are drained, the connection is done. */
  #ended = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #headersTimer: NodeJS.Timeout | undefined;
  #bodyTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(owner: ConnectionOwner, endpoint: Endpoint) {
    this.#owner = owner;
    this.#options = owner.options;
    this.#parser = new ResponseParser(this.#options.limits);
    const o = this.#options;
    if (endpoint.protocol === 'https:') {
      this.#socket = tls.connect({
        ALPNProtocols: ['http/1.1'],
        ...o.tls,
        host: endpoint.hostname,
        port: endpoint.port,
        // RFC 6066 §3: SNI carries a host name, never an IP literal.
        servername: o.tls.servername ?? (net.isIP(endpoint.hostname) === 0 ? endpoint.hostname : undefined),
      });
      this.#socket.once('secureConnect', () => this.#onConnect());
    } else {
      this.#socket = net.connect({ host: endpoint.hostname, port: endpoint.port });
      this.#socket.once('connect', () => this.#onConnect());
    }
    const socket = this.#socket;
    socket.setNoDelay(true);
    if (o.connectTimeoutMs > 0) {
      this.#connectTimer = setTimeout(() => this.#fail(new ClientTimeoutError('connect', o.connectTimeoutMs)), o.connectTimeoutMs);
    }
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => this.#fail(this.#state === 'connecting' ? new ConnectError(err) : new SocketError(`connection error: ${err.message}`, err)));
    // After the server's FIN the socket closes at once, but a paused consumer may still have a
    // body to read from the parser: the pump ends the connection once that is drained.
    socket.on('close', () => {
      if (!this.#ended) this.#fail(new SocketError('connection closed'));
    });
  }

  /** 'connecting', 'open' or 'closed'. */
  get state(): ConnState {
    return this.#state;
  }

  /** Requests in flight on this connection. */
  get inflight(): number {
    return this.#inflight.length;
  }

  /** Whether `d` may be written now (keep-alive, room, and pipelining rules). */
  canTake(d: Dispatch): boolean {
    if (this.#state === 'closed' || !this.#reusable || this.#writing !== null) return false;
    const n = this.#inflight.length;
    if (n === 0) return true;
    if (n >= this.#options.pipelining || !d.pipelinable) return false;
    // RFC 9112 §9.3.2: pipeline only idempotent requests, behind only idempotent requests.
    for (let i = 0; i < n; i++) if (!this.#inflight[i].pipelinable) return false;
    return true;
  }

  /** Writes a request (the caller checked canTake()). */
  send(d: Dispatch): void {
    this.#clearIdle();
    if (this.#inflight.length === 0) this.#socket.ref();
    d.attempts++;
    this.#requests++;
    let head = d.head;
    const max = this.#options.maxRequestsPerConnection;
    if (d.closeAfter || (max > 0 && this.#requests >= max)) {
      this.#reusable = false;
      // Say so: the server can close right after answering (RFC 9112 §9.6).
      if (!d.closeAfter) head = `${head.slice(0, -2)}Connection: close\r\n\r\n`;
    }
    this.#parser.expectResponse(d.method);
    this.#inflight.push(d);
    const body = d.body;
    if (body === null || (Buffer.isBuffer(body) && !d.expectContinue)) {
      if (body === null || body.length === 0) this.#write(head, 'latin1');
      else if (body.length <= COALESCE_MAX_BYTES) {
        const buf = Buffer.allocUnsafe(head.length + body.length);
        buf.write(head, 0, 'latin1');
        body.copy(buf, head.length);
        this.#write(buf);
      } else {
        this.#write(head, 'latin1');
        this.#write(body);
      }
      this.#requestSent(d);
      return;
    }
    this.#write(head, 'latin1');
    this.#writing = d;
    if (d.expectContinue) {
      // RFC 9110 §10.1.1: wait for 100 (or the final response), but not forever.
      const ms = this.#options.expectContinueTimeoutMs;
      this.#continueTimer = setTimeout(() => this.#sendBody(d), ms);
      this.#armHeadersTimer(d);
    } else {
      void this.#streamBody(d);
    }
  }

  /** Fails `d` with an abort: the connection is closed, since HTTP/1.1 cannot cancel one request. */
  abort(d: Dispatch, reason: unknown): void {
    if (!this.#inflight.includes(d)) return;
    this.#fail(new ClientAbortError(reason), d);
  }

  /** Closes the connection; requests in flight fail (or are retried when nothing of their response came). */
  destroy(err?: Error): void {
    this.#fail(err ?? new SocketError('connection destroyed'));
  }

  // ---- writing ------------------------------------------------------------

  #write(data: string | Buffer, encoding?: BufferEncoding): boolean {
    const onWire = this.#options.onWire;
    if (onWire !== undefined) onWire('sent', typeof data === 'string' ? Buffer.from(data, encoding) : data);
    return typeof data === 'string' ? this.#socket.write(data, encoding!) : this.#socket.write(data);
  }

  /** The body held for 100-continue goes now (a 100 arrived, or the wait timed out). */
  #sendBody(d: Dispatch): void {
    clearTimeout(this.#continueTimer);
    this.#continueTimer = undefined;
    if (this.#writing !== d || d.response !== null || this.#state === 'closed') return;
    if (Buffer.isBuffer(d.body)) {
      this.#write(d.body);
      this.#writing = null;
      this.#requestSent(d);
    } else {
      void this.#streamBody(d);
    }
  }

  /** Sends a streamed body with backpressure: chunked, or counted against its Content-Length. */
  async #streamBody(d: Dispatch): Promise<void> {
    const chunked = d.bodyLength === -1;
    let sent = 0;
    try {
      for await (const piece of d.body as AsyncIterable<Uint8Array | string>) {
        if (this.#writing !== d) return; // the response came first, or the connection failed
        const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
        if (chunk.length === 0) continue;
        sent += chunk.length;
        if (!chunked && sent > d.bodyLength) throw new RequestBodyError(`request body longer than its Content-Length ${d.bodyLength}`);
        let ok: boolean;
        if (chunked) {
          // One writev for the frame and its data, not three small writes.
          this.#socket.cork();
          this.#write(chunkHeader(chunk.length), 'latin1');
          this.#write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
          ok = this.#write(CHUNK_END, 'latin1');
          this.#socket.uncork();
        } else {
          ok = this.#write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        }
        if (!ok) await this.#drained();
      }
      if (this.#writing !== d) return;
      if (!chunked && sent < d.bodyLength) throw new RequestBodyError(`request body shorter than its Content-Length ${d.bodyLength}`);
      if (chunked) this.#write(LAST_CHUNK, 'latin1');
      this.#writing = null;
      this.#requestSent(d);
    } catch (err) {
      if (this.#writing !== d) return;
      // Part of the body is on the wire: the request cannot be completed or resent.
      this.#fail(err instanceof RequestBodyError ? err : new RequestBodyError('request body source failed', err), d);
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      // A socket already gone emits neither event again; the caller sees #writing reset and stops.
      if (this.#socket.destroyed) return resolve();
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  /** The whole request is written: its response is now awaited; a pipelined successor may be written. */
  #requestSent(d: Dispatch): void {
    if (this.#inflight[0] === d && d.response === null) this.#armHeadersTimer(d);
    if (this.#inflight.length < this.#options.pipelining && this.#reusable) this.#owner.onReady(this);
  }

  // ---- reading ------------------------------------------------------------

  #onConnect(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#state === 'connecting') this.#state = 'open';
  }

  #onData(chunk: Buffer): void {
    const onWire = this.#options.onWire;
    if (onWire !== undefined) onWire('received', chunk);
    this.#parser.receive(chunk);
    this.#pump();
  }

  #onEnd(): void {
    this.#ended = true;
    this.#parser.eof();
    this.#pump();
  }

  /** Drains parser events into the oldest request in flight, until NEED_DATA or the consumer is full. */
  #pump(): void {
    if (this.#pumping || this.#state === 'closed') return;
    this.#pumping = true;
    try {
      while (!this.#paused && (this.#state as ConnState) !== 'closed') {
        let ev;
        try {
          ev = this.#parser.nextEvent();
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.#fail(err);
          return;
        }
        if (ev === NEED_DATA || ev === PAUSED) {
          // After eof the parser never needs data: a close-delimited body ended, or nothing was in flight.
          if (this.#ended) this.#fail(new SocketError('connection closed by the server'));
          return;
        }
        const d = this.#inflight[0];
        switch (ev.type) {
          case 'informational':
            d.sawInformational = true;
            if (ev.status === 100 && this.#writing === d) this.#sendBody(d);
            try {
              d.options.onInformational?.(ev.status, ev.rawHeaders);
            } catch (err) {
              this.#fail(err instanceof Error ? err : new Error(String(err)), d);
              return;
            }
            break;
          case 'response': {
            clearTimeout(this.#headersTimer);
            this.#headersTimer = undefined;
            if (!ev.keepAlive) this.#reusable = false;
            if (this.#writing === d) {
              // RFC 9110 §10.1.1 / RFC 9112 §9.3: the final response came before the whole body was
              // sent (417, 413, a redirect...). Stop sending; the connection's framing is now
              // unknown to the server, so it closes after this response.
              clearTimeout(this.#continueTimer);
              this.#writing = null;
              this.#reusable = false;
            }
            const body = new ResponseBody(() => this.#resume());
            // A consumer that destroys the body before its end leaves the rest unread on the wire.
            body.once('close', () => {
              if (this.#inflight[0] === d && this.#state !== 'closed') this.#fail(new SocketError('response body destroyed before its end'), d);
            });
            const res = new ClientResponse(ev.status, ev.reason, ev.version, ev.rawHeaders, body);
            d.response = res;
            d.settled = true;
            if (ev.bodyKind !== 'none') this.#armBodyTimer(d);
            d.resolve(res);
            break;
          }
          case 'data':
            if (!d.response!.body.push(ev.data)) {
              // Backpressure: stop reading until the consumer asks for more (ResponseBody._read).
              this.#paused = true;
              this.#socket.pause();
              clearTimeout(this.#bodyTimer);
              this.#bodyTimer = undefined;
            } else {
              this.#armBodyTimer(d);
            }
            break;
          case 'end':
            this.#responseDone(d, ev.trailers);
            break;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#state === 'closed') return;
    this.#socket.resume();
    const d = this.#inflight[0];
    if (d !== undefined && d.response !== null) this.#armBodyTimer(d);
    this.#pump();
  }

  #responseDone(d: Dispatch, trailers: readonly string[]): void {
    clearTimeout(this.#bodyTimer);
    this.#bodyTimer = undefined;
    this.#inflight.shift();
    const res = d.response!;
    res.rawTrailers = trailers;
    res.body.push(null);
    if (!this.#reusable) {
      if (this.#inflight.length === 0 && this.#writing === null) this.#fail(new SocketError('connection closed after its last response'));
      // Requests pipelined behind a closing response were never answered: #fail hands them back.
      else this.#fail(new SocketError('the server closed the connection with requests unanswered'));
      return;
    }
    const next = this.#inflight[0];
    if (next !== undefined && next !== this.#writing) this.#armHeadersTimer(next);
    if (this.#inflight.length === 0) {
      this.#armIdleTimer();
      this.#socket.unref();
    }
    if (this.#writing === null) this.#owner.onReady(this);
  }

  // ---- timers ---------------------------------------------------------------

  #armHeadersTimer(d: Dispatch): void {
    clearTimeout(this.#headersTimer);
    const ms = d.options.headersTimeoutMs ?? this.#options.headersTimeoutMs;
    if (ms > 0) this.#headersTimer = setTimeout(() => this.#fail(new ClientTimeoutError('headers', ms)), ms);
  }

  #armBodyTimer(d: Dispatch): void {
    clearTimeout(this.#bodyTimer);
    const ms = d.options.bodyTimeoutMs ?? this.#options.bodyTimeoutMs;
    if (ms > 0) this.#bodyTimer = setTimeout(() => this.#fail(new ClientTimeoutError('body', ms)), ms);
  }

  #armIdleTimer(): void {
    const ms = this.#options.idleTimeoutMs;
    if (ms > 0) {
      this.#idleTimer = setTimeout(() => this.#fail(new SocketError('idle timeout')), ms);
      this.#idleTimer.unref();
    }
  }

  #clearIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  // ---- failure --------------------------------------------------------------

  /**
   * Closes the connection and settles what it carried: `culprit` (or the oldest request) gets
   * `err`; a response already streaming has its body destroyed; every other request whose
   * response had not started goes back to the pool to be resent when it is idempotent.
   */
  #fail(err: Error, culprit?: Dispatch): void {
    if (this.#state === 'closed') return;
    // Nothing was sent on a connection that never opened: no request gets another try through it.
    const neverOpened = this.#state === 'connecting';
    this.#state = 'closed';
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#headersTimer);
    clearTimeout(this.#bodyTimer);
    clearTimeout(this.#continueTimer);
    this.#clearIdle();
    this.#writing = null;
    this.#socket.destroy();
    const unanswered: Dispatch[] = [];
    const max = this.#options.maxRetries;
    // Only a close before any response byte (or a reset) leaves a request safely resendable.
    const mayRetry = err instanceof SocketError || (err instanceof ProtocolError && err.code === 'ERR_CLOSED_BEFORE_RESPONSE');
    const first = this.#inflight[0];
    const firstStarted = first !== undefined && (first.response !== null || first.sawInformational || this.#parser.bufferedBytes > 0);
    for (const d of this.#inflight) {
      if (d.response !== null) {
        d.response.body.destroy(d === culprit || culprit === undefined ? err : new SocketError('connection closed', err));
        continue;
      }
      if (d === culprit) {
        d.settled = true;
        d.reject(err);
        continue;
      }
      const untouched = d !== first || !firstStarted;
      if (!neverOpened && untouched && (mayRetry || d !== (culprit ?? first)) && isRetryable(d, max)) {
        unanswered.push(d);
      } else {
        d.settled = true;
        d.reject(neverOpened || d === (culprit ?? first) ? err : new SocketError('connection closed before the response', err));
      }
    }
    this.#inflight.length = 0;
    this.#owner.onClosed(this, unanswered);
  }
}
