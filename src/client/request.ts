/**
 * One request on its way: the head as bytes, the body and how it is framed.
 *
 * Owns turning `RequestOptions` into what goes on the wire (RFC 9112 §3, §6):
 * the request line and fields (validated by the wire serializer, so a CR or LF
 * can never split a request), Host, and the body's framing: Content-Length for
 * bytes, chunked for a stream of unknown length (HTTP/1.1 only). The caller's
 * own framing fields are checked against the body, never trusted blindly.
 * Must not import server/.
 */
import { serializeRequestHead } from '../wire/serializer.js';
import type { ClientResponse } from './response.js';
import type { HeadersInit, RequestBody, RequestOptions } from './options.js';

/** Methods that are idempotent (RFC 9110 §9.2.2): safe to resend and to pipeline. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Methods whose request defines a body: an empty one is sent as Content-Length: 0 (RFC 9110 §8.6). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A request through its life: built once, perhaps sent more than once (a retry). */
export interface Dispatch {
  readonly method: string;
  /** The request head, latin1, ending with the empty line. */
  readonly head: string;
  /** Bytes sent with the head, a stream sent after it, or null. */
  readonly body: Buffer | AsyncIterable<Uint8Array> | null;
  /** Declared length of a streamed body, or -1 when it is sent chunked. */
  readonly bodyLength: number;
  /** Idempotent (RFC 9110 §9.2.2): may be resent; pipelined when there is no stream to send. */
  readonly idempotent: boolean;
  /** May share a connection with other requests in flight. */
  readonly pipelinable: boolean;
  readonly expectContinue: boolean;
  /** The request said `Connection: close`. */
  readonly closeAfter: boolean;
  readonly options: RequestOptions;
  /** Times it was sent. */
  attempts: number;
  /** The response head arrived (resolve() was called). */
  response: ClientResponse | null;
  /** A 1xx arrived for it. */
  sawInformational: boolean;
  /** Settled: resolved, or rejected. */
  settled: boolean;
  resolve(res: ClientResponse): void;
  reject(err: unknown): void;
}

/** Turns request options into the head and body of a Dispatch. Throws TypeError on a request that cannot be sent as asked. */
export function buildDispatch(
  options: RequestOptions,
  host: string,
  version: '1.1' | '1.0',
  resolve: (res: ClientResponse) => void,
  reject: (err: unknown) => void,
): Dispatch {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/';
  if (!(path.startsWith('/') || (path === '*' && method === 'OPTIONS'))) throw new TypeError(`path must start with "/": ${JSON.stringify(path)}`);
  const fields: Array<[string, string]> = [];
  let hasHost = false;
  let declaredLength = -1;
  let declaredChunked = false;
  let closeAfter = version === '1.0';
  let expectContinue = options.expectContinue === true;
  let hasExpect = false;
  for (const [name, value] of headerPairs(options.headers)) {
    switch (name.toLowerCase()) {
      case 'host':
        if (hasHost) throw new TypeError('more than one Host');
        hasHost = true;
        break;
      case 'content-length':
        if (!/^[0-9]{1,15}$/.test(value)) throw new TypeError(`invalid Content-Length: ${JSON.stringify(value)}`);
        if (declaredLength !== -1 && Number(value) !== declaredLength) throw new TypeError('conflicting Content-Length values');
        declaredLength = Number(value);
        continue; // the framing line is written below, once
      case 'transfer-encoding':
        // The client frames the body itself; a caller's coding could desynchronize it.
        if (value.trim().toLowerCase() !== 'chunked') throw new TypeError('only Transfer-Encoding: chunked is supported');
        declaredChunked = true;
        continue;
      case 'connection':
        if (value.toLowerCase().split(',').some((t) => t.trim() === 'close')) closeAfter = true;
        if (version === '1.0' && value.toLowerCase().split(',').some((t) => t.trim() === 'keep-alive')) closeAfter = false;
        break;
      case 'expect':
        if (value.toLowerCase() !== '100-continue') throw new TypeError(`unsupported expectation: ${JSON.stringify(value)}`);
        hasExpect = true;
        expectContinue = true;
        break;
    }
    fields.push([name, value]);
  }
  if (!hasHost) fields.unshift(['Host', host]);

  const body = normalizeBody(options.body);
  let bodyLength = -1;
  if (body === null) {
    if (declaredChunked) throw new TypeError('Transfer-Encoding: chunked without a body');
    if (declaredLength > 0) throw new TypeError('Content-Length without a body');
    if (declaredLength === 0 || BODY_METHODS.has(method)) fields.push(['Content-Length', '0']);
    expectContinue = false;
  } else if (Buffer.isBuffer(body)) {
    if (declaredLength !== -1 && declaredLength !== body.length) throw new TypeError(`Content-Length ${declaredLength} but the body has ${body.length} bytes`);
    if (declaredChunked) throw new TypeError('Transfer-Encoding: chunked with a body of known length');
    fields.push(['Content-Length', String(body.length)]);
    if (body.length === 0) expectContinue = false;
  } else if (declaredLength !== -1) {
    if (declaredChunked) throw new TypeError('both Content-Length and Transfer-Encoding');
    bodyLength = declaredLength;
    fields.push(['Content-Length', String(declaredLength)]);
  } else {
    // RFC 9112 §6.1: chunked needs HTTP/1.1; a 1.0 server could not find the body's end.
    if (version === '1.0') throw new TypeError('a streamed body needs a Content-Length on HTTP/1.0');
    fields.push(['Transfer-Encoding', 'chunked']);
  }
  if (expectContinue && !hasExpect) fields.push(['Expect', '100-continue']);
  const head = serializeRequestHead(method, path, fields, version);
  const isStream = body !== null && !Buffer.isBuffer(body);
  const idempotent = options.idempotent ?? IDEMPOTENT.has(method);
  return {
    method,
    head,
    body,
    bodyLength,
    idempotent,
    pipelinable: idempotent && !isStream && !expectContinue && !closeAfter,
    expectContinue,
    closeAfter,
    options,
    attempts: 0,
    response: null,
    sawInformational: false,
    settled: false,
    resolve,
    reject,
  };
}

/** Header fields as [name, value] pairs; arrays become repeated lines, undefined is skipped. */
function* headerPairs(init: HeadersInit | undefined): Generator<[string, string]> {
  if (init === undefined) return;
  if (Symbol.iterator in init && typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of init as Iterable<readonly [string, string]>) yield [k, v];
    return;
  }
  for (const [k, v] of Object.entries(init as Record<string, string | number | readonly string[] | undefined>)) {
    if (v === undefined) continue;
    if (typeof v === 'object') for (const item of v) yield [k, item];
    else yield [k, String(v)];
  }
}

function normalizeBody(body: RequestBody | undefined): Buffer | AsyncIterable<Uint8Array> | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return body;
  throw new TypeError('body must be a string, a Uint8Array or an async iterable of Uint8Array');
}

/** True for an error after which an idempotent request may be resent: nothing of the response arrived. */
export function isRetryable(d: Dispatch, maxRetries: number): boolean {
  return (
    d.idempotent && !d.settled && d.response === null && !d.sawInformational &&
    (d.body === null || Buffer.isBuffer(d.body)) && d.attempts <= maxRetries && d.options.signal?.aborted !== true
  );
}
