/**
 * Not-found handling: the HTML 404 page for browsers, the App's JSON error for
 * everything else (issue #13 item 9).
 *
 * Owns the middleware that catches a 404 from anywhere below it (no route,
 * no file under /files/, no such CGI script) and, when the client prefers
 * HTML to JSON (negotiate.ts, RFC 9110 §12.5.1), answers with the page of
 * views/not-found.ts. Every other error, and every 404 for an API client,
 * goes on to the App's one error mapping unchanged.
 * Must not: catch other statuses, or answer after the head was sent.
 */
import { HttpError, type Context, type Middleware } from '../../app/index.js';
import { preferredType } from '../negotiate.js';
import { DEMO_CSP } from '../security.js';
import { notFoundView } from '../views/not-found.js';
import type { DemoDeps } from './deps.js';

/** The error every "nothing here" of the demo throws: the same as the App router's own 404. */
export function notFound(): HttpError {
  return new HttpError(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
}

// JSON first: on a tie (no Accept, "*/*", as curl and most libraries send) the client gets JSON.
const OFFERED = ['application/json', 'text/html'] as const;

/** The 404 page middleware; register it after the headers middleware and before the routes. */
export function notFoundPage(deps: DemoDeps): Middleware<Context> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const isNotFound = err instanceof HttpError && err.status === 404;
      if (!isNotFound || ctx.res.headersSent || preferredType(ctx.req.header('accept'), OFFERED) !== 'text/html') throw err;
      deps.reportError(err);
      // Only this page's fields: an error must not inherit the success response's (as sendError does).
      for (const name of ['content-length', 'content-encoding', 'etag', 'last-modified']) ctx.res.headers.delete(name);
      // Our own page even under /files/ (whose files get FILES_CSP).
      ctx.header('Cache-Control', 'no-store').header('Vary', 'Accept').header('Content-Security-Policy', DEMO_CSP);
      ctx.html(notFoundView(), 404);
    }
  };
}
