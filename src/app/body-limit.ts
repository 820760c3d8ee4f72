/**
 * bodyLimit(): a per-route (or per-prefix) request body limit (issue #16 item 8).
 *
 * Owns the early 413 on a declared Content-Length over the limit (before any handler
 * runs or a byte is read) and the hand-over to the body readers: `ctx.limitBody()` makes
 * `readJson`, `readForm`, `readRaw` and `readMultipart` use this limit instead of the
 * App's for the rest of the request, so a chunked body is cut at it too. Must not
 * raise anything above the server's `maxBodyBytes` (that one applies first, to every
 * body), or read the body itself.
 */
import type { Middleware, Next } from './compose.js';
import { tooLarge } from './body.js';
import type { Context } from './context.js';

/**
 * A body limit for the routes it guards, in bytes: 413 `ERR_BODY_TOO_LARGE` at once when
 * the declared Content-Length is over it, and the limit of every `ctx.readX()` after it.
 * It may raise the App's reader limits (an upload route) or lower them (a login form).
 *
 * @example
 * app.post('/avatar', bodyLimit(5 * 1024 * 1024), async (ctx) => save(await ctx.readRaw()));
 * app.use('/api', bodyLimit(64 * 1024));
 */
export function bodyLimit(maxBytes: number): Middleware<Context<any, any>> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`bodyLimit: maxBytes must be a non-negative integer: ${maxBytes}`);
  return function bodyLimitMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    // RFC 9110 §15.5.14: refuse before reading; the server discards (or closes on) the rest.
    const declared = ctx.req.contentLength;
    if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
    ctx.limitBody(maxBytes);
    return next();
  };
}
