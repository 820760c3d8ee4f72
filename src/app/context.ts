/**
 * Context: what a middleware or route handler gets for one request.
 *
 * Owns the per-request helpers: params, lazily parsed query/headers/cookies,
 * response helpers (`text/html/json/redirect/stream/status/header`), cookie
 * setting and signing, the body readers bound to the App's limits, and the
 * response being shaped (issue #16 item 1).
 *
 * Theory of operation (docs/lifecycle.md): the helpers do not write. `ctx.text()`
 * and friends set the status, a Content-Type and `ctx.body`; the App writes the
 * response once the whole middleware chain has returned (`commitResponse`). Code
 * after `await next()` therefore still sees and may change the status, the header
 * fields and the body (replace it, or wrap a streamed one) before the head goes out,
 * as in Koa and Hono. A handler that writes through `ctx.res` directly sends its head
 * when it writes (the escape hatch, for Handlers mounted in an App); after that the
 * shaping helpers throw `HeadersSentError` rather than let a change vanish.
 * Must not: do work a request does not ask for (everything optional is lazy, so
 * the hot path allocates one object), buffer a streamed body (it is pumped chunk by
 * chunk with backpressure), or let a response be given twice (helpers throw, so
 * double responses are bugs you see).
 */
import type { Request, ResponseWriter } from '../server/handler.js';
import { readForm, readJson, readRaw, type FormFields, type FormOptions, type JsonOptions, type RawOptions } from './body.js';
import { parseCookies, serializeCookie, signCookieValue, unsignCookieValue, type CookieOptions } from './cookies.js';
import { readMultipart, type MultipartOptions, type MultipartResult } from './multipart.js';
import { serverTimingMetric } from './server-timing.js';
import { SseStream, type SseOptions } from './sse.js';
import { SafeHtml } from './views.js';

/** App-wide settings a Context needs (built once by the App). */
export interface ContextConfig {
  /** Secrets for signed cookies: the first signs, all verify (rotation). */
  keys: readonly (string | Buffer)[] | undefined;
  json: JsonOptions;
  form: FormOptions;
  raw: RawOptions;
  multipart: MultipartOptions;
}

/** Redirect statuses `ctx.redirect` accepts (RFC 9110 §15.4). */
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308]);
// A Location must not carry CTLs (header injection; RFC 9110 §5.5).
const CTL = /[\x00-\x1f\x7f]/;

/**
 * A response body the App writes after the chain: bytes or a string (sent with a
 * Content-Length), an async iterable (a WHATWG ReadableStream is one) streamed chunk by
 * chunk, or null for an empty body.
 */
export type ContextBody = string | Uint8Array | AsyncIterable<string | Uint8Array> | null;

/**
 * Thrown when a middleware or handler changes the status, a header field or the body
 * after the response head went out (a handler wrote through `ctx.res`): the change
 * could never reach the client, and silently dropping it hides the bug (issue #16).
 */
export class HeadersSentError extends Error {
  /** Stable code. */
  readonly code = 'ERR_HEADERS_SENT';
  /** The status the error mapping would use; the head is out, so it destroys the response instead. */
  readonly status = 500;
  constructor(what: string) {
    super(`cannot set ${what}: the response head was already sent`);
    this.name = 'HeadersSentError';
  }
}

const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json';
// The event-stream format is always UTF-8 (WHATWG HTML §9.2.5); the parameter says so to proxies.
const SSE_TYPE = 'text/event-stream; charset=utf-8';

/**
 * The per-request context.
 *
 * @example
 * app.get('/users/:id', (ctx) => ctx.json({ id: ctx.params.id, q: ctx.query.get('q') }));
 */
export class Context<P extends object = Record<string, string>, S extends object = Record<string, unknown>> {
  /** The request, as the server parsed it. */
  readonly req: Request;
  /** The response writer (use it directly for full control). */
  readonly res: ResponseWriter;
  /** Route params, percent-decoded. */
  params: P;
  /** The path being routed: `req.path`, minus the prefix inside a mounted app. */
  path: string;
  /**
   * This request's id, set by the `requestId()` middleware (generated, or the client's
   * `X-Request-Id` when well-formed); undefined without it. The JSON access log records it.
   */
  requestId: string | undefined;
  #config: ContextConfig;
  #state: S | undefined;
  #query: URLSearchParams | undefined;
  #cookies: Record<string, string> | undefined;
  #headers: Record<string, string> | undefined;
  /** The body set by a helper or `ctx.body =`; undefined: none yet. */
  #body: ContextBody | undefined;

  constructor(req: Request, res: ResponseWriter, config: ContextConfig, params: P) {
    this.req = req;
    this.res = res;
    this.path = req.path;
    this.params = params;
    this.requestId = undefined;
    this.#config = config;
    this.#state = undefined;
    this.#query = undefined;
    this.#cookies = undefined;
    this.#headers = undefined;
    this.#body = undefined;
  }

  /**
   * The response body the App will send after the chain (undefined until a helper or an
   * assignment sets one). Middleware reads it after `await next()` and may replace it,
   * e.g. wrap a streamed body; assigning throws `HeadersSentError` once the head is out.
   *
   * @example
   * app.use(async (ctx, next) => {
   *   await next();
   *   if (typeof ctx.body === 'string') ctx.body = ctx.body.toUpperCase();
   * });
   */
  get body(): ContextBody | undefined {
    return this.#body;
  }
  set body(value: ContextBody | undefined) {
    if (this.res.headersSent) throw new HeadersSentError('the body');
    this.#body = value;
  }

  /** Per-request storage for middleware to pass data along (created on first use). */
  get state(): S {
    return (this.#state ??= {} as S);
  }
  set state(value: S) {
    this.#state = value;
  }

  /** The query string, parsed on first use (WHATWG URLSearchParams: `+` is a space). */
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.req.query));
  }

  /** Request headers as a plain object, lower-case names, repeats joined with ", " (built on first use). */
  get headers(): Readonly<Record<string, string>> {
    if (this.#headers === undefined) {
      const out: Record<string, string> = Object.create(null) as Record<string, string>;
      const raw = this.req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const n = raw[i]!.toLowerCase();
        out[n] = n in out ? `${out[n]}, ${raw[i + 1]!}` : raw[i + 1]!;
      }
      this.#headers = out;
    }
    return this.#headers;
  }

  /** Request cookies by name (RFC 6265 §5.4), parsed on first use. Signed values still carry their signature. */
  get cookies(): Readonly<Record<string, string>> {
    // Several Cookie lines (allowed by HTTP/2 and some proxies) join with "; ", not ", ".
    return (this.#cookies ??= parseCookies(this.req.headerAll('cookie').join('; ')));
  }

  /** One request cookie, or undefined. */
  cookie(name: string): string | undefined {
    return this.cookies[name];
  }

  /**
   * A signed cookie's value when its HMAC verifies with one of the App `keys`;
   * undefined when missing or tampered with.
   */
  signedCookie(name: string): string | undefined {
    const v = this.cookies[name];
    return v === undefined ? undefined : unsignCookieValue(name, v, this.#config.keys);
  }

  /**
   * Adds a `Set-Cookie` (RFC 6265 §4.1). With `signed: true` the value is signed
   * with the first App key.
   *
   * @example
   * ctx.setCookie('sid', id, { signed: true, secure: true, maxAgeSeconds: 86400 });
   */
  setCookie(name: string, value: string, options: CookieOptions = {}): this {
    if (this.res.headersSent) throw new HeadersSentError(`cookie ${name}`);
    const v = options.signed === true ? signCookieValue(name, value, this.#config.keys) : value;
    this.res.headers.append('set-cookie', serializeCookie(name, v, options));
    return this;
  }

  /** Expires a cookie now (same path and domain as when it was set). */
  clearCookie(name: string, options: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite' | 'partitioned'> = {}): this {
    if (this.res.headersSent) throw new HeadersSentError(`cookie ${name}`);
    this.res.headers.append('set-cookie', serializeCookie(name, '', { ...options, maxAgeSeconds: 0, expires: new Date(0) }));
    return this;
  }

  /** Sets the response status; chainable. Throws `HeadersSentError` once the head is out. */
  status(code: number): this {
    if (this.res.headersSent) throw new HeadersSentError('the status');
    this.res.status = code;
    return this;
  }

  /** Sets a response header (replacing it); chainable. Throws `HeadersSentError` once the head is out. */
  header(name: string, value: string | number | readonly string[]): this {
    if (this.res.headersSent) throw new HeadersSentError(`header ${name}`);
    this.res.headers.set(name, value);
    return this;
  }

  /**
   * Adds a metric to the response's `Server-Timing` field (W3C Server Timing): a name
   * (a token), optionally a duration in milliseconds and a description, which browsers'
   * developer tools show next to the request. Chainable; throws `HeadersSentError` once
   * the head is out and a TypeError on a name that is not a token.
   *
   * @example
   * const t0 = performance.now();
   * const rows = await db.all('SELECT ...');
   * ctx.timing('db', performance.now() - t0, 'users query');
   */
  timing(name: string, durMs?: number, desc?: string): this {
    if (this.res.headersSent) throw new HeadersSentError('Server-Timing');
    // Several metrics: one field line each, a list a recipient joins (RFC 9110 §5.3).
    this.res.headers.append('server-timing', serverTimingMetric(name, durMs, desc));
    return this;
  }

  /** Sets status, type and body for the App to send after the chain; a second response throws. */
  #send(type: string, body: ContextBody, status: number | undefined): void {
    const res = this.res;
    if (res.headersSent) throw new HeadersSentError('a response');
    // A second helper call is a bug (two answers to one request); `ctx.body =` replaces on purpose.
    if (this.#body !== undefined) throw new Error('response already sent');
    if (status !== undefined) res.status = status;
    if (!res.headers.has('content-type')) res.headers.set('content-type', type);
    this.#body = body;
  }

  /** Sends a text/plain (UTF-8) response. */
  text(body: string, status?: number): void {
    this.#send(TEXT, body, status);
  }

  /** Sends an HTML response (a string, or a `SafeHtml` from the `html` template). */
  html(body: string | SafeHtml, status?: number): void {
    this.#send(HTML, body instanceof SafeHtml ? body.value : body, status);
  }

  /** Sends a JSON response. */
  json(value: unknown, status?: number): void {
    this.#send(JSON_TYPE, JSON.stringify(value) ?? 'null', status);
  }

  /** Sends bytes with a Content-Type (default application/octet-stream). */
  send(bytes: Uint8Array | string, contentType = 'application/octet-stream', status?: number): void {
    this.#send(contentType, bytes, status);
  }

  /**
   * Redirects (default 302 Found; use 303 after a POST, RFC 9110 §15.4.4).
   * Throws TypeError on a control character in the location or a non-redirect status.
   */
  redirect(location: string, status = 302): void {
    if (!REDIRECT_STATUSES.has(status)) throw new TypeError(`not a redirect status: ${status}`);
    if (CTL.test(location)) throw new TypeError('redirect location contains a control character');
    this.res.headers.set('location', location);
    this.#send(TEXT, `Redirecting to ${location}\n`, status);
  }

  /**
   * Streams a body from an async iterable (or a WHATWG ReadableStream). The App pumps it
   * after the chain, waiting for `drain()` when the socket is full and stopping (which
   * cancels the source) when the client leaves; middleware may wrap it first.
   */
  stream(source: AsyncIterable<string | Uint8Array>, contentType = 'application/octet-stream', status?: number): void {
    this.#send(contentType, source, status);
  }

  /**
   * Answers with a Server-Sent Events stream (`text/event-stream`, WHATWG HTML §9.2) and
   * returns it. `producer`, when given, starts once the head goes out (after the chain)
   * and may `await stream.send()` for backpressure; the stream ends when it returns, when
   * `stream.close()` is called, or when the client leaves (`stream.signal` aborts). A
   * HEAD request gets the head and an ended stream. Heartbeat comments keep idle
   * connections open through proxies (`heartbeatIntervalMs`, default 15 s).
   *
   * @example
   * app.get('/events', (ctx) => {
   *   ctx.sse(async (stream) => {
   *     let n = Number(stream.lastEventId ?? 0);
   *     while (!stream.closed) {
   *       await stream.send({ event: 'tick', id: String(++n), data: JSON.stringify({ n }) });
   *       await setTimeout(1000, undefined, { signal: stream.signal }).catch(() => undefined);
   *     }
   *   });
   * });
   */
  sse(producer?: (stream: SseStream) => unknown, options?: SseOptions): SseStream {
    const res = this.res;
    const isHead = this.req.method === 'HEAD';
    const stream = new SseStream(res, this.req.header('last-event-id'), options, isHead ? undefined : producer);
    // Every event must reach the client now: no caching, and no buffering by nginx.
    if (!res.headers.has('cache-control')) res.headers.set('Cache-Control', 'no-store');
    res.headers.set('X-Accel-Buffering', 'no');
    if (!res.headers.has('content-type')) res.headers.set('Content-Type', SSE_TYPE);
    if (isHead) {
      this.#send(SSE_TYPE, null, undefined);
      stream.close();
    } else this.#send(SSE_TYPE, stream, undefined);
    return stream;
  }

  /**
   * Sets the byte limit of every body reader (`maxJsonBytes`, `maxFormBytes`, `maxRawBytes`,
   * `maxMultipartBytes`) for this request, in place of the App's; `bodyLimit()` calls it.
   * Options passed to a `readX()` call still win. Chainable.
   */
  limitBody(maxBytes: number): this {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer: ${maxBytes}`);
    const c = this.#config;
    // A copy for this request only: the App's config object is shared by all of them.
    this.#config = {
      ...c,
      json: { ...c.json, maxJsonBytes: maxBytes },
      form: { ...c.form, maxFormBytes: maxBytes },
      raw: { ...c.raw, maxRawBytes: maxBytes },
      multipart: { ...c.multipart, maxMultipartBytes: maxBytes },
    };
    return this;
  }

  /** Reads the JSON body within the App's `maxJsonBytes` (415/413/400, see body.ts). */
  readJson<T = unknown>(options?: JsonOptions): Promise<T> {
    return readJson(this.req, options ?? this.#config.json) as Promise<T>;
  }

  /** Reads an urlencoded form body within the App's limits. */
  readForm(options?: FormOptions): Promise<FormFields> {
    return readForm(this.req, options ?? this.#config.form);
  }

  /** Reads the body as bytes within the App's `maxRawBytes`. */
  readRaw(options?: RawOptions): Promise<Buffer> {
    return readRaw(this.req, options ?? this.#config.raw);
  }

  /**
   * Reads a multipart/form-data body. Disk uploads are deleted when the response
   * completes: move (rename) the files you keep before that.
   */
  async readMultipart(options?: MultipartOptions): Promise<MultipartResult> {
    const result = await readMultipart(this.req, options ?? this.#config.multipart);
    this.res.onClose(() => void result.cleanup());
    return result;
  }
}

/**
 * Writes the response a chain left in `ctx` (the App calls it once, after the outermost
 * middleware returned): the body as one `end()` with a Content-Length, a stream pumped
 * with backpressure, or an empty body. A handler that already ended the response
 * through `ctx.res` is left alone. Returns a promise only for a streamed body.
 */
export function commitResponse(ctx: Context<any, any>): void | Promise<void> {
  const res = ctx.res;
  const body = ctx.body;
  // The common case first: a whole body, one end() (a closed socket drops it harmlessly).
  if (typeof body === 'string' || body instanceof Uint8Array) {
    if (!res.headersSent) return res.end(body);
    if (res.closed) return;
    // A handler that wrote the head itself and also set a body gave two answers.
    throw new HeadersSentError('a body');
  }
  if (body === undefined || body === null) {
    if (!res.finished && !res.closed) res.end();
    return;
  }
  // A stream.
  if (res.closed) return res.finished ? undefined : cancel(body);
  if (res.headersSent) throw new HeadersSentError('a body');
  return pump(res, body);
}

/** Streams `source` to `res` with backpressure; leaving the loop early cancels the source. */
async function pump(res: ResponseWriter, source: AsyncIterable<string | Uint8Array>): Promise<void> {
  for await (const chunk of source) {
    if (res.closed) break;
    if (!res.write(chunk)) await res.drain();
  }
  res.end();
}

/** Releases a streamed body that will never be sent (the client left first). */
async function cancel(source: AsyncIterable<string | Uint8Array>): Promise<void> {
  await source[Symbol.asyncIterator]().return?.();
}
