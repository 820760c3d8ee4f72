/**
 * accessLog(): the App's access-log middleware (issue #16 item 5).
 *
 * Owns the middleware's options and when it logs: once per exchange, when the response
 * completes or its connection closes (the response's onClose), so the line carries the
 * final status and size, error responses written after a handler threw included (the
 * logging middleware of the old docs, which logged after `await next()`, never saw them).
 * The line formats are the one implementation in src/semantics/access-log.ts, shared
 * with `withAccessLog()` (the Handler wrapper `keel serve` uses).
 * Must not: change the response, decide on its own whom to believe about the client's
 * address (forwarding fields are believed only through the `clientAddress` resolver the
 * application passes, e.g. `clientInfo()` with its trusted proxies), or log a credential
 * in the JSON format (Cookie, Set-Cookie, Authorization, Proxy-Authorization are redacted).
 */
import type { Request } from '../server/handler.js';
import { batchedLineWriter, clfLine, combinedLine, jsonLine, observeResponse, type AccessLogFormat } from '../semantics/access-log.js';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';

export type { AccessLogFormat } from '../semantics/access-log.js';

/** Options of `accessLog()`. */
export interface AccessLogOptions {
  /** 'common' (default): Apache's CLF; 'combined': CLF plus Referer and User-Agent; 'json': one Caddy-style object per line. */
  format?: AccessLogFormat;
  /** Where a line goes (without its newline). Default: stdout, batched per event-loop turn (`batchedLineWriter`). */
  write?: (line: string) => void;
  /**
   * The client address to log. Default the TCP peer, recorded when the connection was
   * accepted (`req.remoteAddress`). Behind a reverse proxy pass a resolver that believes
   * forwarding fields only from trusted proxies, e.g.
   * `(req) => clientInfo(req, { trustedProxies: ['loopback'] }).ip` (keel's `clientInfo`).
   * The JSON format records the peer as `remote_ip` and this as `client_ip`.
   */
  clientAddress?: (req: Request) => string;
  /** The clock, ms since the epoch (tests inject one). Default `Date.now`. */
  clock?: () => number;
}

const FORMATS: ReadonlySet<string> = new Set(['common', 'combined', 'json']);

/**
 * Logs one line per request: Common (default), Combined or JSON format. Register it first
 * (`app.use(accessLog())`) so it sees every request; it logs when the response is
 * complete or the client left, with the final status.
 *
 * @example
 * app.use(requestId());
 * app.use(accessLog({ format: 'json', clientAddress: (req) => clientInfo(req, { trustedProxies: ['loopback'] }).ip }));
 */
export function accessLog(options: AccessLogOptions = {}): Middleware<Context<any, any>> {
  const format = options.format ?? 'common';
  if (!FORMATS.has(format)) throw new TypeError(`accessLog: format must be 'common', 'combined' or 'json': ${String(format)}`);
  const write = options.write ?? batchedLineWriter(process.stdout);
  const clientAddress = options.clientAddress;
  const clock = options.clock ?? Date.now;
  return function accessLogMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    const { req, res } = ctx;
    const startMs = format === 'json' ? clock() : 0;
    observeResponse(req, res, (bytes) => {
      const endMs = clock();
      const host = clientAddress === undefined ? req.remoteAddress : clientAddress(req);
      if (format === 'common') write(clfLine(req, res.status, bytes, endMs, host));
      else if (format === 'combined') write(combinedLine(req, res.status, bytes, endMs, host));
      else {
        const requestId = ctx.requestId;
        write(
          jsonLine(req, {
            clientAddress: host,
            status: res.status,
            bytes,
            startMs,
            endMs,
            isComplete: res.finished,
            responseHeaders: res.headers,
            ...(requestId !== undefined ? { requestId } : {}),
          }),
        );
      }
    });
    return next();
  };
}
