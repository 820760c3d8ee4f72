/**
 * BodyReader: the body of one request, pulled from the connection's parser.
 *
 * Owns the request-body phase (state.ts: unread, reading, complete, discarding, discarded,
 * failed), its accounting (bytes taken, time spent waiting for the client) and the deadline
 * that bounds each wait: a handler's reads (bodyTimeoutMs per wait, minBodyBytesPerSecond
 * overall) and the drop of a body left unread when its response ended (maxDiscardBytes,
 * discardTimeoutMs). One per request that has a body; a request without one reads `NO_BODY`.
 *
 * It must not touch the socket, write responses or decide persistence: it reaches the
 * connection only through `BodyHost`. Split out of connection.ts (issue #14 item 8).
 */
import type { Buffer } from 'node:buffer';
import { NEED_DATA, PAUSED, type RequestEvent, type RequestParser } from '../wire/parser.js';
import { RequestAbortedError, RequestBodyDiscardedError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { BodySource, IncomingRequest } from './request.js';
import { REQUEST_BODY, type BodyPhase } from './state.js';

const toReading = REQUEST_BODY.to('reading');
const toComplete = REQUEST_BODY.to('complete');
const toDiscarding = REQUEST_BODY.to('discarding');
const toDiscarded = REQUEST_BODY.to('discarded');
const toFailed = REQUEST_BODY.to('failed');

/** What bounds the wait in progress: a handler's read, or the drop of an unread body. */
export type BodyWait = 'body' | 'discard';

/** What a body reader needs from its connection. */
export interface BodyHost {
  /** True once the socket is gone. */
  readonly isClosed: boolean;
  /** The server's clock (the batch's reading inside a batch). */
  now(): number;
  /** Reads from the socket again if the connection paused it. */
  resumeInput(): void;
  /** Sets the connection's deadline to bound this wait (`at` 0: none). */
  setBodyDeadline(kind: BodyWait, at: number): void;
  /** Clears the deadline if it bounds a body wait. */
  clearBodyDeadline(): void;
  /** Sends `100 Continue` unless the response head went out already (RFC 9110 §10.1.1). */
  sendContinue(): void;
  /** A dropped body's end was reached: the connection goes on to the next request. */
  bodyDiscarded(): void;
  /** A dropped body was malformed, too long or too slow: the connection closes. */
  closeAfterBody(): void;
}

/** The body source of a request without a body: it reads as empty, always. */
export const NO_BODY: BodySource = {
  readBody: () => Promise.resolve(null),
};

/** The body of one request. */
export class BodyReader implements BodySource {
  phase: BodyPhase = 'unread';
  readonly #head: RequestEvent;
  readonly #parser: RequestParser;
  readonly #host: BodyHost;
  readonly #opts: Readonly<ResolvedOptions>;
  /**
   * Accounting of the current phase, reading or discarding (reset when discarding starts):
   * body bytes taken from the parser, time spent waiting for the client's next bytes, and when
   * the wait in progress began (-1: none). A total bound needs totals: a per-wait timer alone
   * let a client trickling 10 bytes every 10 s hold a connection for a day (issue #12).
   */
  #bytes = 0;
  #waitedMs = 0;
  #waitStart = -1;
  /** Resolves the read waiting for bytes, or null. */
  #waiter: (() => void) | null = null;
  /** Why the body failed (phase 'failed'). */
  #error: Error | null = null;

  constructor(head: RequestEvent, parser: RequestParser, host: BodyHost, opts: Readonly<ResolvedOptions>) {
    this.#head = head;
    this.#parser = parser;
    this.#host = host;
    this.#opts = opts;
  }

  /** True while a read waits for the client's bytes. */
  get isWaiting(): boolean {
    return this.#waiter !== null;
  }

  /**
   * Body bytes not taken from the parser yet, when the Content-Length tells (-1 for a chunked
   * body: unknown until its last chunk).
   */
  bytesLeft(): number {
    const head = this.#head;
    return head.bodyKind === 'length' ? head.contentLength - this.#bytes : -1;
  }

  async readBody(req: IncomingRequest): Promise<Buffer | null> {
    for (;;) {
      switch (this.phase) {
        case 'complete':
          return null;
        case 'discarding':
        case 'discarded':
          // The response ended first and the bytes were dropped to find the next request: a
          // late reader must fail, not hang or steal the next request's bytes.
          throw new RequestBodyDiscardedError();
        case 'failed':
          throw this.#error!;
        case 'unread':
          if (this.#host.isClosed) {
            this.#fail(new RequestAbortedError());
            continue;
          }
          this.phase = toReading(this.phase);
          // RFC 9110 §10.1.1: send 100 only once the body is wanted, never to HTTP/1.0 clients
          // (the parser only flags expectContinue on 1.1), and not after a final status.
          if (this.#head.expectContinue) this.#host.sendContinue();
          break;
        case 'reading':
          if (this.#host.isClosed) {
            this.#fail(new RequestAbortedError());
            continue;
          }
          break;
      }
      let ev;
      try {
        ev = this.#parser.nextEvent();
      } catch (err) {
        this.#host.clearBodyDeadline();
        this.#fail(err as Error);
        throw err;
      }
      if (ev === NEED_DATA) {
        this.#host.resumeInput();
        this.#startWait('body');
        await new Promise<void>((resolve) => {
          this.#waiter = resolve;
        });
        this.#endWait();
        continue;
      }
      if (ev === PAUSED) return null;
      if (ev.type === 'data') {
        this.#bytes += ev.data.length;
        // `bodyTimeoutMs` bounds each wait for bytes: while the handler works on this chunk the
        // client is not late, so the deadline must not fire and cut the exchange.
        this.#host.clearBodyDeadline();
        return ev.data;
      }
      if (ev.type === 'end') {
        this.phase = toComplete(this.phase);
        req.trailers = ev.trailers;
        this.#host.clearBodyDeadline();
        return null;
      }
      throw new Error('parser out of step with body reader');
    }
  }

  /** New bytes are in the parser: wake the read waiting for them, or go on dropping. */
  onInput(): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter();
    } else if (this.phase === 'discarding') {
      this.#discardBuffered();
    }
  }

  /**
   * Fails a body not read to its end yet (a timeout, the client leaving): the read waiting,
   * and any later one, rejects with `err`. Returns true when a read was waiting (its rejection
   * reaches the handler). A body complete, failed or being dropped is left as it is.
   */
  fail(err: Error): boolean {
    if (this.phase !== 'unread' && this.phase !== 'reading') return false;
    const waiter = this.#waiter;
    this.#fail(err);
    return waiter !== null;
  }

  /** The client left or the connection closes: as fail(), the error made only when needed. */
  abort(): void {
    if (this.phase === 'unread' || this.phase === 'reading') this.#fail(new RequestAbortedError());
  }

  /**
   * The response ended before the body was read: read and drop the rest, so the next request
   * can be found. Bounded in bytes (maxDiscardBytes) and in total time (discardTimeoutMs, a
   * deadline): past either the connection closes instead, after the response already sent.
   * Counts from here against both bounds.
   */
  discard(): void {
    this.phase = toDiscarding(this.phase);
    this.#bytes = 0;
    this.#waitedMs = 0;
    this.#waitStart = -1;
    this.#discardBuffered();
  }

  #fail(err: Error): void {
    this.phase = toFailed(this.phase);
    this.#error = err;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  #discardBuffered(): void {
    this.#endWait();
    for (;;) {
      let ev;
      try {
        ev = this.#parser.nextEvent();
      } catch {
        this.#host.closeAfterBody();
        return;
      }
      if (ev === NEED_DATA) {
        this.#host.resumeInput();
        this.#startWait('discard');
        return;
      }
      if (ev === PAUSED || ev.type === 'end') {
        this.phase = toDiscarded(this.phase);
        this.#host.bodyDiscarded();
        return;
      }
      if (ev.type !== 'data') throw new Error('parser out of step with discard');
      this.#bytes += ev.data.length;
      if (this.#bytes > this.#opts.maxDiscardBytes) {
        this.#host.closeAfterBody();
        return;
      }
    }
  }

  /**
   * Starts a wait for the client's body bytes and sets the deadline that bounds it: the sooner
   * of bodyTimeoutMs (one wait) and what is left of the phase's total allowance. Reading:
   * bodyTimeoutMs plus 1 s per minBodyBytesPerSecond bytes received (Apache mod_reqtimeout's
   * `body=20,MinRate=500`), so a client must keep up a minimum average rate once the first
   * bodyTimeoutMs are spent. Discarding: discardTimeoutMs in all (nginx's lingering_time).
   * Only time spent waiting counts: a handler slow to read is not the client's fault.
   */
  #startWait(kind: BodyWait): void {
    const o = this.#opts;
    const now = this.#host.now();
    this.#waitStart = now;
    let total = 0;
    if (kind === 'discard') total = o.discardTimeoutMs;
    else if (o.minBodyBytesPerSecond > 0 && o.bodyTimeoutMs > 0) total = o.bodyTimeoutMs + (this.#bytes * 1000) / o.minBodyBytesPerSecond;
    let ms = o.bodyTimeoutMs;
    if (total > 0) ms = Math.max(0, ms > 0 ? Math.min(ms, total - this.#waitedMs) : total - this.#waitedMs);
    // A spent allowance gives a deadline of now: the next sweep ends the wait.
    this.#host.setBodyDeadline(kind, ms > 0 || total > 0 ? now + ms : 0);
  }

  /** Ends the wait in progress, if any, adding its time to the phase's total. */
  #endWait(): void {
    if (this.#waitStart < 0) return;
    this.#waitedMs += this.#host.now() - this.#waitStart;
    this.#waitStart = -1;
  }
}
