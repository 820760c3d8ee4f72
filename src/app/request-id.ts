/**
 * requestId(): one id per request, to correlate a log line, an error report and what the
 * client saw (issue #16 item 5).
 *
 * Owns choosing the id: the incoming `X-Request-Id` when it is well-formed (a bounded
 * length of a conservative charset), else a new one; exposing it as `ctx.requestId`
 * and echoing it in the response. Must not: accept an id that could forge a log line,
 * inject a header or grow without bound (anything outside the charset or over
 * `maxRequestIdLength` is replaced, not trimmed), or cost a request more than one id.
 *
 * Why `crypto.randomUUID()` by default rather than a cheap counter: ids from several
 * processes (cluster workers, restarts, replicas behind one balancer) end up in one log
 * store, and a per-process counter repeats across them; a random UUID does not, and it
 * does not reveal how many requests a server has handled. Node draws UUIDs from a
 * cached block of random bytes (about 0.1 µs each on the bench machine), small next to a
 * request. A `generate` option takes any other scheme.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';

/**
 * Default most characters of an accepted incoming request id. Heroku's router accepts
 * 20 to 200 characters; 200 holds a UUID (36), a W3C trace id (32 hex) or a ULID (26) with room.
 */
export const DEFAULT_MAX_REQUEST_ID_LENGTH = 200;

/** The field carrying the id, in both directions (the de facto name: Heroku, nginx `$request_id` setups, Rails). */
export const DEFAULT_REQUEST_ID_HEADER = 'x-request-id';

// Letters, digits and -_.:+/=@: UUIDs, ULIDs, hex trace ids and base64 fit; quotes,
// spaces, commas, semicolons and controls (anything that could split a log field or a
// header list) do not.
const REQUEST_ID_CHARS = /^[A-Za-z0-9\-_.:+/=@]+$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Options of `requestId()`. */
export interface RequestIdOptions {
  /** The request and response field. Default `x-request-id`. */
  header?: string;
  /** Longest incoming id accepted, in characters; a longer one is replaced. Default `DEFAULT_MAX_REQUEST_ID_LENGTH` (200). 0 ignores incoming ids. */
  maxRequestIdLength?: number;
  /** Makes a new id. Default `crypto.randomUUID`. */
  generate?: () => string;
}

/** True when `id` is an acceptable incoming request id: 1 to `maxLength` characters of the safe charset. */
export function isWellFormedRequestId(id: string, maxLength: number = DEFAULT_MAX_REQUEST_ID_LENGTH): boolean {
  return id.length > 0 && id.length <= maxLength && REQUEST_ID_CHARS.test(id);
}

/**
 * Gives every request an id: the client's (or a proxy's) `X-Request-Id` when it is
 * well-formed, else a random UUID. Sets `ctx.requestId` and echoes the id in the
 * response's `X-Request-Id` (error responses included). The JSON access log records it.
 *
 * @example
 * app.use(requestId());
 * app.get('/', (ctx) => ctx.text(`your request is ${ctx.requestId}`));
 */
export function requestId(options: RequestIdOptions = {}): Middleware<Context<any, any>> {
  const header = options.header ?? DEFAULT_REQUEST_ID_HEADER;
  if (!TOKEN.test(header)) throw new TypeError(`requestId: header is not a field name: ${header}`);
  const maxLength = options.maxRequestIdLength ?? DEFAULT_MAX_REQUEST_ID_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) throw new RangeError(`requestId: maxRequestIdLength must be a non-negative integer: ${maxLength}`);
  const generate = options.generate ?? randomUUID;
  return function requestIdMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    const incoming = maxLength === 0 ? undefined : ctx.req.header(header);
    // Several fields (joined with ", ") fail the charset: a new id, never a pick among them.
    const id = incoming !== undefined && isWellFormedRequestId(incoming, maxLength) ? incoming : generate();
    ctx.requestId = id;
    ctx.header(header, id);
    return next();
  };
}
