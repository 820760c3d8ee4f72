/**
 * The WHATWG fetch adapter: serve any `(Request) => Response` function (a Hono
 * app's `fetch`, a Deno/Bun-style handler) as a keel Handler.
 *
 * Owns the conversion keel Request → WHATWG Request (URL from `Host`, RFC 9112
 * §3.2.2/§3.3) and WHATWG Response → ResponseWriter, streaming the body with
 * backpressure (`write()` false → `await drain()`), and cancelling the body when
 * the client goes away.
 * Must not: buffer whole bodies, forward hop-by-hop fields (RFC 9110 §7.6.1),
 * or leak the fetch handler's error text to the client.
 */
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { startServer, type ListenOptions, type RunningServer } from './listen.js';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody } from '../wire/error-body.js';

/** A WHATWG fetch-style handler. */
export type FetchHandler = (request: globalThis.Request) => Response | Promise<Response>;

/** Hop-by-hop and framing fields a Response must not dictate to our serializer (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);

/** Methods a WHATWG Request may not carry a body with. */
function mayHaveBody(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

function bodyStream(req: Request): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        it ??= req.body[Symbol.asyncIterator]();
        const r = await it.next();
        if (r.done === true) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel() {
        await it?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Builds the WHATWG Request for a keel Request. */
export function toFetchRequest(req: Request): globalThis.Request {
  // RFC 9110 §7.2 / RFC 3986 §3.2.2: host [":" port]. Anything else (userinfo, a path,
  // spaces) could redirect the URL elsewhere, so it is replaced by the local address.
  const given = req.header('host');
  const host = given !== undefined && HOST.test(given) ? given : hostOf(req.localAddress, req.localPort);
  const origin = `${req.isSecure ? 'https' : 'http'}://${host}`;
  const pathAndQuery = req.path + (req.query === '' ? '' : `?${req.query}`);
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A field WHATWG Headers refuses (e.g. a latin1 byte it rejects) is dropped, not fatal.
    }
  }
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: req.signal };
  if (req.hasBody && mayHaveBody(req.method)) {
    init.body = bodyStream(req);
    init.duplex = 'half'; // required by undici for a streamed request body
  }
  // Concatenate, never resolve: a path like "//evil.test/x" must stay a path.
  return new globalThis.Request(origin + pathAndQuery, init);
}

const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function hostOf(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Methods WHATWG fetch refuses to represent (Fetch §2.2.1 forbidden methods). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Copies a WHATWG Response onto a ResponseWriter, streaming its body. */
export async function writeFetchResponse(response: Response, req: Request, res: ResponseWriter): Promise<void> {
  res.status = response.status;
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || HOP_BY_HOP.has(name)) return;
    res.headers.append(name, value);
  });
  for (const c of response.headers.getSetCookie()) res.headers.append('set-cookie', c);
  const body = response.body;
  if (body === null || req.method === 'HEAD') {
    if (body !== null) await body.cancel();
    res.end();
    return;
  }
  const reader = body.getReader();
  let isCancelled = false;
  res.onClose(() => {
    if (!res.finished) {
      isCancelled = true;
      reader.cancel().catch(() => undefined);
    }
  });
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      if (res.closed || isCancelled) return;
      if (!res.write(r.value)) await res.drain();
    }
  } catch (err) {
    if (res.closed || isCancelled) return;
    throw err;
  }
  res.end();
}

/** Options of `toHandler`. */
export interface ToHandlerOptions {
  /** Called with errors thrown by the fetch handler (the client gets a bare 500). */
  onError?: (err: unknown) => void;
}

/**
 * Adapts a WHATWG fetch handler into a keel Handler.
 *
 * @example
 * import { Hono } from 'hono';
 * const hono = new Hono().get('/', (c) => c.text('hi'));
 * const server = new Server(toHandler(hono.fetch));
 */
export function toHandler(fetchHandler: FetchHandler, options: ToHandlerOptions = {}): Handler {
  return async (req, res) => {
    let request: globalThis.Request;
    try {
      request = toFetchRequest(req);
    } catch {
      // Not representable as a WHATWG Request: a method fetch forbids (501, RFC 9110
      // §15.6.2) or a target it cannot parse (400).
      const status = FORBIDDEN_METHODS.has(req.method.toUpperCase()) ? 501 : 400;
      failPlain(res, status);
      return;
    }
    let response: Response;
    try {
      response = await fetchHandler(request);
    } catch (err) {
      options.onError?.(err);
      if (!res.headersSent) failPlain(res, 500);
      return;
    }
    try {
      await writeFetchResponse(response, req, res);
    } catch (err) {
      options.onError?.(err);
      // After the head a clean end would make a cut body look complete: abandon it instead.
      if (!res.headersSent) failPlain(res, 500);
      else res.destroy(err);
    }
  };
}

/** The one plain-text error response (docs/errors.md, "Error bodies"). */
function failPlain(res: ResponseWriter, status: number): void {
  res.headers.set('content-type', PLAIN_ERROR_CONTENT_TYPE);
  res.status = status;
  res.end(plainErrorBody(status));
}

/**
 * Serves a WHATWG fetch handler on keel's socket server.
 *
 * @example
 * const server = await serveFetch((req) => new Response('hi'), { port: 3000 });
 * await server.close();
 */
export function serveFetch(fetchHandler: FetchHandler, options: ListenOptions & ToHandlerOptions = {}): Promise<RunningServer> {
  return startServer(toHandler(fetchHandler, options), options);
}
