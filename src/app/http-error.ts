/**
 * HTTP errors of the app layer and the one function that turns any thrown value
 * into a response.
 *
 * Owns: `HttpError` (status + stable `code` + whether the message may be shown),
 * the app's error codes, and `sendError`, the single error-to-response mapping
 * (Go `toHTTPError`, Hono `HTTPException`, Fastify `FST_ERR_*`).
 * Must not: leak a stack trace or the text of a non-HttpError to the client unless
 * the `dev` option is on, or echo request bytes (STYLE.md rule 5).
 */
import type { Request, ResponseWriter } from '../server/handler.js';
import { statusText } from '../wire/error-body.js';
import { escapeHtml } from '../wire/html-escape.js';
import { preferredType } from './negotiate.js';

/** Stable error codes the app layer produces (documented in docs/app.md). */
export type AppErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_BAD_REQUEST'
  | 'ERR_BAD_PATH'
  | 'ERR_INVALID_JSON'
  | 'ERR_INVALID_MULTIPART'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_TOO_MANY_FIELDS'
  | 'ERR_TOO_MANY_FILES'
  | 'ERR_FILE_TOO_LARGE'
  | 'ERR_FIELD_TOO_LARGE'
  | 'ERR_PART_HEADER_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_INTERNAL'
  | 'ERR_HTTP';

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /** Whether `message` may be sent to the client. Default: true below 500, false from 500 on. */
  expose?: boolean;
  /** A stable machine-readable code; default `ERR_HTTP`. */
  code?: string;
  /** Extra response headers (e.g. `Allow` on a 405, `WWW-Authenticate` on a 401). */
  headers?: Record<string, string>;
  /** The underlying error, kept for logs only; never sent. */
  cause?: unknown;
}

/**
 * An error that carries the HTTP status it should produce.
 *
 * @example
 * app.get('/admin', (ctx) => { throw new HttpError(403, 'Admins only') });
 */
export class HttpError extends Error {
  /** HTTP status code (400-599). */
  readonly status: number;
  /** Stable machine-readable code, e.g. `ERR_BODY_TOO_LARGE`. */
  readonly code: string;
  /** Whether `message` is safe to show to the client. */
  readonly expose: boolean;
  /** Extra headers for the error response. */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    super(message ?? statusText(status), options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be 400-599, got ${status}`);
    }
    this.name = 'HttpError';
    this.status = status;
    this.code = options.code ?? 'ERR_HTTP';
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers;
  }
}

/** Options of the error mapping, taken from the App options. */
export interface ErrorMappingOptions {
  /** Development mode: show messages of every error and their stack. Default false. */
  dev?: boolean;
}

interface ErrorBody {
  status: number;
  code: string;
  message: string;
  stack: string | undefined;
  headers: Readonly<Record<string, string>> | undefined;
}

/**
 * Describes what the client may learn about an error. Errors that are not
 * `HttpError` but carry a numeric `status` 400-599 (e.g. the server's
 * `ProtocolError` 413 thrown by `req.body`) keep that status, but their message is
 * replaced by the reason phrase: it may quote request bytes.
 */
function describe(err: unknown, dev: boolean): ErrorBody {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      code: err.code,
      message: err.expose || dev ? err.message : statusText(err.status),
      stack: dev ? err.stack : undefined,
      headers: err.headers,
    };
  }
  const e = err as { status?: unknown; code?: unknown; message?: unknown; stack?: unknown } | null;
  const s = e !== null && typeof e === 'object' ? e.status : undefined;
  const status = typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
  const code = e !== null && typeof e === 'object' && typeof e.code === 'string' && status !== 500 ? e.code : 'ERR_INTERNAL';
  return {
    status,
    code,
    message: dev && e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : statusText(status),
    stack: dev && e !== null && typeof e === 'object' && typeof e.stack === 'string' ? e.stack : undefined,
    headers: undefined,
  };
}

/** What an error body can be, in the server's order of preference: JSON wins ties (API clients). */
const ERROR_TYPES = ['application/json', 'text/html'] as const;

/**
 * True when the client prefers HTML to JSON by q-value (RFC 9110 §12.5.1, through the
 * one negotiation, ./negotiate.ts): `text/html;q=0.5, application/json` is JSON. Order
 * of appearance carries no preference; on a tie, or without either type, JSON is used:
 * it is the safer default for API clients.
 */
export function prefersHtml(accept: string | undefined): boolean {
  return preferredType(accept, ERROR_TYPES) === 'text/html';
}

/**
 * The one error-to-response mapping: writes `err` as a JSON or HTML error
 * response, chosen by the request's `Accept`. If the head was already sent the
 * status line is gone: the response is destroyed (docs/errors.md), so the client
 * sees a cut-short body, never a complete-looking one.
 */
export function sendError(req: Request, res: ResponseWriter, err: unknown, options: ErrorMappingOptions = {}): void {
  if (res.finished || res.closed) return;
  if (res.headersSent) {
    // Ending here would frame a half-written body as complete (a last chunk, or a
    // Content-Length "satisfied" by a short body on close). destroy() cuts the connection.
    res.destroy(err);
    return;
  }
  const d = describe(err, options.dev === true);
  const h = res.headers;
  // A fresh error response must not inherit headers meant for the success response.
  for (const name of ['content-type', 'content-length', 'content-encoding', 'content-disposition', 'etag', 'last-modified']) h.delete(name);
  if (d.headers !== undefined) for (const k of Object.keys(d.headers)) h.set(k, d.headers[k]!);
  h.set('cache-control', 'no-store');
  h.set('x-content-type-options', 'nosniff');
  res.status = d.status;
  if (prefersHtml(req.header('accept'))) {
    h.set('content-type', 'text/html; charset=utf-8');
    const title = `${d.status} ${escapeHtml(statusText(d.status))}`;
    const stack = d.stack === undefined ? '' : `<pre>${escapeHtml(d.stack)}</pre>`;
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(d.message)}</p>${stack}</body></html>\n`);
  } else {
    h.set('content-type', 'application/json');
    const body: Record<string, unknown> = { error: { status: d.status, code: d.code, message: d.message } };
    if (d.stack !== undefined) (body.error as Record<string, unknown>).stack = d.stack;
    res.end(JSON.stringify(body));
  }
}
