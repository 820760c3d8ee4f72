/**
 * CORS: the one implementation of the server side of the Fetch standard's CORS protocol
 * (https://fetch.spec.whatwg.org/#http-cors-protocol), issue #16 item 3.
 *
 * Owns the policy (which origins, credentials, methods, headers, max age) and the
 * fields it puts on a response: `corsFields()` works on the Handler contract's request
 * and header map only, so the App's `cors()` middleware (src/app/cors.ts), `withCors()`
 * (a Handler wrapper, used by `keel serve --cors` around the static handler) and the
 * static handler itself may all share it; it lives in src/semantics/ because app/ and
 * handlers/ may not import each other. Must not write a response except in `withCors`,
 * and must not widen a policy: credentials with "any origin" is refused at
 * configuration time rather than turned into "reflect every origin".
 */
import type { Handler, HeaderMapLike, Request } from '../server/handler.js';
import { addVary } from './vary.js';

/**
 * Default `maxAgeSeconds` of a preflight answer: 7200 s (2 hours), the most Chromium
 * honours (Firefox caps at 86 400); a longer value would only be clamped. Without a max
 * age, browsers cache preflights for 5 s, and every cross-origin call pays a round trip.
 */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 7200;

/** Default `allowMethods`: the methods a REST API answers (Fastify's @fastify/cors list). */
export const DEFAULT_CORS_METHODS: readonly string[] = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];

/** Which origins may read responses. */
export type CorsOrigin = '*' | string | readonly string[] | ((origin: string, req: Request) => boolean);

/** Options of {@link cors} and {@link withCors}. */
export interface CorsOptions {
  /**
   * `'*'` (any origin, the default), one origin (`'https://app.example'`), a list, or a
   * function deciding per request. Origins are compared exactly (scheme, host, port).
   */
  readonly origin?: CorsOrigin;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Needs an explicit origin policy. Default false. */
  readonly credentials?: boolean;
  /** `Access-Control-Allow-Methods` of preflight answers. Default `DEFAULT_CORS_METHODS`. */
  readonly allowMethods?: readonly string[];
  /** `Access-Control-Allow-Headers` of preflight answers. Default: the headers the preflight asks for. */
  readonly allowHeaders?: readonly string[];
  /** `Access-Control-Expose-Headers`: response fields scripts may read beyond the safelisted ones. Default none. */
  readonly exposeHeaders?: readonly string[];
  /** `Access-Control-Max-Age` of preflight answers, in seconds. Default `DEFAULT_CORS_MAX_AGE_SECONDS`. */
  readonly maxAgeSeconds?: number;
}

/** A checked policy (built once, when the middleware or wrapper is created). */
export interface CorsPolicy {
  readonly isAny: boolean;
  readonly allows: (origin: string, req: Request) => boolean;
  readonly credentials: boolean;
  readonly methods: string;
  readonly allowHeaders: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string;
}

/** Checks options and applies defaults (throws at configuration time, never per request). */
export function corsPolicy(options: CorsOptions = {}): CorsPolicy {
  const origin = options.origin ?? '*';
  const credentials = options.credentials === true;
  const isAny = origin === '*';
  // Fetch §3.2.5: "*" never works with credentials; reflecting every origin instead would
  // hand any site the user's cookies, so the caller must say which origins it trusts.
  if (isAny && credentials) throw new TypeError('cors: credentials need an origin list or function, not "*"');
  let allows: CorsPolicy['allows'];
  if (typeof origin === 'function') allows = origin;
  else if (typeof origin === 'string') allows = isAny ? () => true : (o) => o === origin;
  else {
    const set = new Set(origin);
    allows = (o) => set.has(o);
  }
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS;
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) throw new RangeError(`maxAgeSeconds must be a non-negative integer: ${maxAgeSeconds}`);
  const list = (v: readonly string[] | undefined): string | undefined => (v === undefined || v.length === 0 ? undefined : v.join(', '));
  return {
    isAny,
    allows,
    credentials,
    methods: (options.allowMethods ?? DEFAULT_CORS_METHODS).join(', '),
    allowHeaders: list(options.allowHeaders),
    exposeHeaders: list(options.exposeHeaders),
    maxAge: String(maxAgeSeconds),
  };
}

/** What `corsFields` found: a preflight to answer with 204 here, or a request to pass on. */
export type CorsKind = 'preflight' | 'request';

/**
 * Puts the CORS fields for `req` on `headers` and says whether it is a preflight (an
 * OPTIONS with Origin and Access-Control-Request-Method, Fetch §3.2.2) that the caller
 * answers with 204 and no body. A disallowed origin gets no CORS fields: the browser
 * then refuses the response to the script, which is the whole protection.
 */
export function corsFields(policy: CorsPolicy, req: Request, headers: HeaderMapLike): CorsKind {
  const origin = req.header('origin');
  // The answer depends on Origin unless it is "*" for everyone (Fetch §3.2.5, caches).
  if (!policy.isAny) addVary(headers, 'Origin');
  const isPreflight = req.method === 'OPTIONS' && origin !== undefined && req.header('access-control-request-method') !== undefined;
  if (origin === undefined || !policy.allows(origin, req)) return isPreflight ? 'preflight' : 'request';
  headers.set('Access-Control-Allow-Origin', policy.isAny ? '*' : origin);
  if (policy.credentials) headers.set('Access-Control-Allow-Credentials', 'true');
  if (!isPreflight) {
    if (policy.exposeHeaders !== undefined) headers.set('Access-Control-Expose-Headers', policy.exposeHeaders);
    return 'request';
  }
  headers.set('Access-Control-Allow-Methods', policy.methods);
  if (policy.allowHeaders !== undefined) headers.set('Access-Control-Allow-Headers', policy.allowHeaders);
  else {
    const asked = req.header('access-control-request-headers');
    if (asked !== undefined) {
      headers.set('Access-Control-Allow-Headers', asked);
      addVary(headers, 'Access-Control-Request-Headers');
    }
  }
  headers.set('Access-Control-Max-Age', policy.maxAge);
  return 'preflight';
}

/**
 * The same policy around any keel Handler (the static handler of `keel serve --cors`):
 * preflights are answered 204 here, every other request gets its fields and goes on.
 *
 * @example
 * new Server(withCors(staticHandler({ root: 'public' }), { exposeHeaders: ['ETag'] }));
 */
export function withCors(handler: Handler, options: CorsOptions = {}): Handler {
  const policy = corsPolicy(options);
  return (req, res) => {
    if (corsFields(policy, req, res.headers) === 'preflight') {
      res.status = 204;
      res.end();
      return;
    }
    return handler(req, res);
  };
}
