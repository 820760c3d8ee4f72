/**
 * fetch(): the WHATWG shape over keel's client, for users who want Request/Response/Headers.
 *
 * Owns mapping a global `Request` onto `Agent.request()` and the answer back
 * onto a global `Response` (the classes come from the global scope, as in
 * Node 20): redirects (`follow` up to 20, `manual`, `error`, with the method
 * and credential rules of the Fetch standard), `signal`, and the error shape
 * (`TypeError('fetch failed', { cause })`, or the signal's reason on abort,
 * for the promise and for a body already streaming: the Fetch standard's
 * "abort fetch"; keel's own `ClientAbortError` never reaches a fetch caller).
 * No Content-Encoding is decoded and no Accept-Encoding is sent, so no server
 * should compress. No cookies, caches or CORS: this is a server-side fetch.
 * Must not import server/.
 */
import { Agent } from './agent.js';
import type { ClientResponse, ResponseBody } from './response.js';

/** Redirects followed before `fetch` fails (the Fetch standard's limit). */
export const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose Response has a null body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A fetch() function that sends through `agent`. */
export function createFetch(agent: Agent): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return (input, init) => keelFetch(agent, input, init);
}

let defaultAgent: Agent | undefined;

/** The Agent `fetch` uses, made on first use with default options. */
export function getDefaultAgent(): Agent {
  return (defaultAgent ??= new Agent());
}

/**
 * fetch() over keel's client, with the default Agent.
 *
 * @example
 * const res = await fetch('http://127.0.0.1:8080/hello');
 * console.log(res.status, await res.text());
 */
export function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return keelFetch(getDefaultAgent(), input, init);
}

async function keelFetch(agent: Agent, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  let url = new URL(request.url);
  let method = request.method;
  let headers: Array<[string, string]> = [...request.headers];
  let body: Buffer | AsyncIterable<Uint8Array> | null = null;
  if (request.body !== null) {
    // A stream given as the body is sent as it comes (chunked); anything else is read whole,
    // to go with a Content-Length (and to be resent on a 307/308).
    body = init?.body instanceof ReadableStream
      ? (request.body as unknown as AsyncIterable<Uint8Array>)
      : Buffer.from(await request.arrayBuffer());
  }
  let redirected = false;
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`unsupported scheme ${url.protocol}`) });
    let res: ClientResponse;
    try {
      res = await agent.request(url, { method, headers, body, signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new TypeError('fetch failed', { cause: err });
    }
    const location = res.headers.location;
    if (REDIRECTS.has(res.status) && location !== undefined && request.redirect !== 'manual') {
      await res.body.dump().catch(() => {});
      if (request.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`redirect to ${location}`) });
      if (redirects >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('too many redirects') });
      const next = new URL(location, url);
      // Fetch standard, HTTP-redirect fetch: 301/302 turn POST into GET, 303 anything but HEAD.
      if (((res.status === 301 || res.status === 302) && method === 'POST') || (res.status === 303 && method !== 'GET' && method !== 'HEAD')) {
        method = 'GET';
        body = null;
        headers = headers.filter(([k]) => !['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'].includes(k));
      } else if (body !== null && !Buffer.isBuffer(body)) {
        throw new TypeError('fetch failed', { cause: new Error('cannot follow a redirect with a streamed body') });
      }
      // Credentials never follow a redirect to another origin.
      if (next.origin !== url.origin) headers = headers.filter(([k]) => k !== 'authorization' && k !== 'proxy-authorization' && k !== 'cookie');
      url = next;
      redirected = true;
      continue;
    }
    const responseHeaders = new Headers();
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) responseHeaders.append(raw[i], raw[i + 1]);
    const hasNullBody = method === 'HEAD' || NULL_BODY.has(res.status);
    if (hasNullBody) {
      try {
        await res.body.dump();
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw new TypeError('fetch failed', { cause: err });
      }
    }
    const stream = hasNullBody ? null : webBody(res.body, signal);
    const response = new Response(stream, { status: res.status, statusText: res.reason, headers: responseHeaders });
    // Response's url and redirected are read-only getters on the prototype; a constructed one has ''.
    Object.defineProperty(response, 'url', { value: url.href });
    Object.defineProperty(response, 'redirected', { value: redirected });
    return response;
  }
}

/**
 * A response body as a web ReadableStream, pulled from the Node stream one chunk at a time (so
 * backpressure still reaches the socket: nothing is read until the consumer asks).
 *
 * How it fails is the Fetch standard's: once `signal` has aborted, the stream errors with the
 * signal's reason (its "abort fetch" errors the response's body with the abort error; the reason
 * is a DOMException named AbortError unless the caller gave one), not keel's ClientAbortError; any
 * other failure after the head (a reset, a body cut short, a timeout) errors it with
 * `TypeError('terminated', { cause })`, as undici does, the keel error kept as the cause.
 * Cancelling the stream destroys the body, which closes its connection (connection.ts).
 */
function webBody(body: ResponseBody, signal: AbortSignal): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Buffer>;
      try {
        next = await it.next();
      } catch (err) {
        controller.error(signal.aborted ? signal.reason : new TypeError('terminated', { cause: err }));
        return;
      }
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}
