/**
 * In-memory implementations of the Handler contract, for running a request
 * through any Handler without a socket (Go `httptest`, Fastify `inject`, Hono
 * `app.request`).
 *
 * Owns `MemoryRequest`, `MemoryResponse` and `runFetchRequest`, which turns a
 * WHATWG `Request` into a WHATWG `Response` by way of a Handler. The `Response`
 * resolves as soon as the head is sent, and its body streams what the handler
 * writes (so `write()`/`drain()` backpressure is real: `write()` returns false
 * while the reader has not pulled).
 * Must not: open sockets or import anything from server/ but types; it models
 * the contract, not the wire (no chunked framing, no Connection handling). Its
 * response headers are the wire's own HeaderMap, so they refuse what a socket refuses.
 */
import type { Request, ResponseWriter, Handler } from '../server/handler.js';
// The wire's own HeaderMap, not a look-alike: a name or value a real socket refuses
// (a control byte, a char above U+00FF) must fail the same way in memory (issue #14 item 4).
import { HeaderMap } from '../wire/header-map.js';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody } from '../wire/error-body.js';

/** What a `MemoryRequest` is made of. */
export interface MemoryRequestInit {
  method?: string;
  /** Origin-form target, e.g. `/users?id=1`. Default "/". */
  target?: string;
  /** Header field lines in order. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The body: bytes, text, or a stream of chunks. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | null;
  remoteAddress?: string;
  remotePort?: number;
  isSecure?: boolean;
  signal?: AbortSignal;
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  if (buf.length > 0) yield buf;
}

async function* toBuffers(src: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of src) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** An in-memory `Request` (see handler.ts for the meaning of each member). */
export class MemoryRequest implements Request {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly version = '1.1' as const;
  readonly rawHeaders: readonly string[];
  readonly hasBody: boolean;
  readonly contentLength: number | undefined;
  readonly trailers: readonly string[] = [];
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly isSecure: boolean;
  readonly signal: AbortSignal;
  #body: AsyncIterable<Buffer> | undefined;
  #isConsumed = false;

  constructor(init: MemoryRequestInit = {}) {
    this.method = init.method ?? 'GET';
    this.target = init.target ?? '/';
    const q = this.target.indexOf('?');
    // handler.ts: the path is "/" for the asterisk form (RFC 9112 §3.2.4).
    this.path = this.target === '*' ? '/' : q < 0 ? this.target : this.target.slice(0, q);
    this.query = q < 0 ? '' : this.target.slice(q + 1);
    const flat: string[] = [];
    for (const [n, v] of init.headers ?? []) flat.push(n, v);
    this.rawHeaders = flat;
    const b = init.body;
    let declared: number | undefined;
    if (typeof b === 'string' || b instanceof Uint8Array) {
      const buf = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      this.#body = once(buf);
      declared = buf.length;
    } else if (b !== null && b !== undefined) {
      this.#body = toBuffers(b);
      const cl = this.header('content-length');
      declared = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
    }
    this.contentLength = declared;
    this.hasBody = this.#body !== undefined && (declared === undefined || declared > 0);
    this.remoteAddress = init.remoteAddress ?? '127.0.0.1';
    this.remotePort = init.remotePort ?? 0;
    this.isSecure = init.isSecure ?? false;
    this.signal = init.signal ?? new AbortController().signal;
  }

  header(name: string): string | undefined {
    const all = this.headerAll(name);
    return all.length === 0 ? undefined : all.join(', ');
  }

  headerAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    const h = this.rawHeaders;
    for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === lower) out.push(h[i + 1]!);
    return out;
  }

  get body(): AsyncIterable<Buffer> {
    if (this.#isConsumed) throw new TypeError('request body already consumed');
    this.#isConsumed = true;
    return this.#body ?? once(Buffer.alloc(0));
  }

  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.body) parts.push(c);
    return Buffer.concat(parts);
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

/** Statuses whose response has no content (RFC 9110 §15.3.5, §15.4.5; 1xx). */
function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304 || status < 200;
}

/**
 * An in-memory `ResponseWriter` whose output is a WHATWG `Response`
 * (`response`), resolved when the head is sent. For HEAD requests the body is
 * dropped, as a server must (RFC 9110 §9.3.2).
 */
export class MemoryResponse implements ResponseWriter {
  status = 200;
  /** The same HeaderMap the server's responses use: same validation, same OWS trimming. */
  readonly headers = new HeaderMap();
  /** Trailer fields set with setTrailer (not representable in a WHATWG Response). */
  readonly trailers: Array<[string, string]> = [];
  /** The fields of each 103 Early Hints sent with writeEarlyHints, in order (a WHATWG Response has no interim responses). */
  readonly earlyHints: Array<Array<[string, string]>> = [];
  /** Resolves with the Response once the head is sent. */
  readonly response: Promise<Response>;
  #headersSent = false;
  #finished = false;
  #closed = false;
  /** destroy() was called: later writes and end() are dropped (as OutgoingResponse does). */
  #destroyed = false;
  #isHead: boolean;
  #onAbort: ((reason: unknown) => void) | undefined;
  #resolve!: (r: Response) => void;
  #reject!: (err: unknown) => void;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #waiters: Array<() => void> = [];
  #closeFns: Array<() => void> = [];
  #pending: Uint8Array[] = [];

  /**
   * `onAbort` is called when the exchange is abandoned: destroy(), or the reader cancelling the
   * body (the in-memory "client went away"); runFetchRequest aborts the request's signal with it.
   */
  constructor(options: { isHead?: boolean; onAbort?: (reason: unknown) => void } = {}) {
    this.#isHead = options.isHead === true;
    this.#onAbort = options.onAbort;
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get headersSent(): boolean {
    return this.#headersSent;
  }
  get finished(): boolean {
    return this.#finished;
  }
  get closed(): boolean {
    return this.#closed;
  }

  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this {
    if (this.#headersSent) throw new Error('writeHead: headers already sent');
    this.status = status;
    if (headers !== undefined) for (const k of Object.keys(headers)) this.headers.set(k, headers[k]!);
    this.#sendHead(undefined);
    return this;
  }

  #webHeaders(): Headers {
    const h = new Headers();
    for (const [n, v] of this.headers.entries()) h.append(n, v);
    return h;
  }

  /** Sends the head; `whole` is the complete body when end() gave it in one piece. */
  #sendHead(whole: Uint8Array | undefined): void {
    const status = this.#checkStatus();
    this.#headersSent = true;
    const hasNoBody = this.#isHead || isNullBodyStatus(status);
    let body: ReadableStream<Uint8Array> | Uint8Array | null = null;
    if (!hasNoBody) {
      if (whole !== undefined) body = whole;
      else {
        body = new ReadableStream<Uint8Array>(
          {
            start: (c) => {
              this.#controller = c;
            },
            pull: () => this.#wake(),
            cancel: (reason: unknown) => {
              this.#onAbort?.(reason ?? new Error('client disconnected'));
              this.#close();
            },
          },
          { highWaterMark: 1 },
        );
      }
    }
    this.#resolve(new Response(body as BodyInit | null, { status, headers: this.#webHeaders() }));
  }

  /** Checked before anything changes, so the caller's error path can still send a clean 500. */
  #checkStatus(): number {
    const status = this.status;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`status out of range for a final response: ${status}`);
    return status;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    const fns = this.#closeFns;
    this.#closeFns = [];
    for (const fn of fns) fn();
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#destroyed) return false;
    if (this.#finished) throw new Error('write after end');
    if (!this.#headersSent) this.#sendHead(undefined);
    if (this.#closed) return false;
    const c = this.#controller;
    if (c === undefined) return true; // HEAD or a status without content: dropped
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length > 0) c.enqueue(bytes);
    return (c.desiredSize ?? 0) > 0;
  }

  drain(): Promise<void> {
    const c = this.#controller;
    if (this.#closed || c === undefined || (c.desiredSize ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  end(chunk?: string | Uint8Array): void {
    if (this.#finished || this.#destroyed) return;
    if (!this.#headersSent) {
      this.#checkStatus();
      const bytes = chunk === undefined ? new Uint8Array(0) : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      // As the server does: a body given whole to end() gets a Content-Length.
      if (!this.headers.has('content-length') && !isNullBodyStatus(this.status)) this.headers.set('content-length', bytes.length);
      this.#sendHead(bytes);
      this.#finished = true;
      this.#close();
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    this.#finished = true;
    if (this.#controller !== undefined && !this.#closed) this.#controller.close();
    this.#close();
  }

  /**
   * As a connection destroyed: before the head, `response` rejects (a client's network
   * error); after it, the body stream errors. Later writes are dropped.
   */
  destroy(err?: unknown): void {
    if (this.#finished || this.#closed) return;
    this.#destroyed = true;
    const reason = err ?? new Error('response destroyed');
    this.#onAbort?.(reason);
    // Never finished, as on the server: before the head the Response rejects, after it the body errors.
    if (!this.#headersSent) this.#reject(reason);
    else if (this.#controller !== undefined) this.#controller.error(reason);
    this.#close();
  }

  /** Ends the body stream with an error (the in-memory analogue of a reset connection). */
  abort(reason: unknown): void {
    if (this.#controller !== undefined && !this.#closed) this.#controller.error(reason);
    this.#finished = true;
    this.#close();
  }

  setTrailer(name: string, value: string): void {
    this.trailers.push([name, value]);
  }

  writeEarlyHints(fields: Record<string, string | readonly string[]>): void {
    if (this.#headersSent || this.#finished) throw new Error('early hints after the response head');
    const hints = new HeaderMap();
    for (const name of Object.keys(fields)) hints.set(name, fields[name]!);
    if (!this.#closed) this.earlyHints.push([...hints.entries()]);
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#closeFns.push(fn);
  }
}

/**
 * Builds the in-memory Request for a WHATWG `Request`: origin-form target from
 * its URL, a `Host` field if it has none (RFC 9112 §3.2 requires one), and its
 * body as a stream.
 */
export function memoryRequestFrom(request: globalThis.Request, extra: Omit<MemoryRequestInit, 'method' | 'target' | 'headers' | 'body'> = {}): MemoryRequest {
  const url = new URL(request.url);
  const headers: Array<[string, string]> = [];
  if (!request.headers.has('host')) headers.push(['host', url.host]);
  request.headers.forEach((v, n) => {
    if (n !== 'set-cookie') headers.push([n, v]);
  });
  return new MemoryRequest({
    method: request.method,
    target: url.pathname + url.search,
    headers,
    body: request.body === null ? undefined : (request.body as unknown as AsyncIterable<Uint8Array>),
    isSecure: url.protocol === 'https:',
    signal: request.signal,
    ...extra,
  });
}

/**
 * Runs a WHATWG `Request` through a keel Handler in memory and returns the
 * WHATWG `Response` (resolved when the handler sends the head). A handler that
 * returns without ending gets its response ended; one that throws before the
 * head gets a bare 500.
 */
export function runFetchRequest(handler: Handler, request: globalThis.Request): Promise<Response> {
  // The handler's req.signal: aborted with the caller's signal, and when the exchange is
  // abandoned (res.destroy(), or the caller cancelling the body), as a server's would be.
  const abort = new AbortController();
  const outer = request.signal;
  if (outer.aborted) abort.abort(outer.reason);
  else outer.addEventListener('abort', () => abort.abort(outer.reason), { once: true });
  const req = memoryRequestFrom(request, { signal: abort.signal });
  const res = new MemoryResponse({ isHead: req.method === 'HEAD', onAbort: (reason) => abort.abort(reason) });
  let result: void | Promise<void>;
  try {
    result = handler(req, res);
  } catch (err) {
    failed(res, err);
    return res.response;
  }
  if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
    (result as Promise<void>).then(
      () => res.end(),
      (err: unknown) => failed(res, err),
    );
  } else {
    res.end();
  }
  return res.response;
}

/**
 * A handler failed: as the Connection does, a 500 in the one plain-text error format
 * (docs/errors.md "Error bodies") with the handler's headers dropped, or, once the head
 * is out, a body that errors instead of ending.
 */
function failed(res: MemoryResponse, err: unknown): void {
  if (!res.headersSent) {
    // The server resets the response; headers meant for the success response must not leak into the 500.
    for (const name of new Set([...res.headers.entries()].map(([n]) => n))) res.headers.delete(name);
    res.headers.set('content-type', PLAIN_ERROR_CONTENT_TYPE);
    res.status = 500;
    res.end(plainErrorBody(500));
  } else res.abort(err);
}
