/**
 * The demo's WebSockets (issue #15 item 9): what the guestbook feed and the
 * inspector's echo share.
 *
 * Owns the refusals made before an upgrade: a browser page of another origin
 * (cross-site WebSocket hijacking: browsers send `Origin` so the server can
 * refuse, RFC 6455 §10.2) gets 403, and past `maxLiveSockets` open sockets a
 * new one gets 503. Counting is the controllers' (they add a socket on
 * `open` and remove it on `close`). Must not keep anything but the open
 * sockets of this process: with `--workers` each worker has its own.
 */
import { HttpError, type Context } from '../app/index.js';
import type { DemoDeps } from './controllers/deps.js';

/** What the demo needs of an open WebSocket. */
export interface LiveSocket {
  send(data: string): unknown;
}

/** Default most demo WebSockets open at once (guestbook feeds and inspector echoes together), like the live clocks. */
export const DEFAULT_MAX_LIVE_SOCKETS = 1_000;

/**
 * Refuses an upgrade from a page of another origin (403) or past the socket limit (503).
 * A request without `Origin` is not from a browser page and is let through (RFC 6455 §10.2).
 */
export function checkLiveUpgrade(ctx: Context, deps: DemoDeps): void {
  const origin = ctx.req.header('origin');
  if (origin !== undefined) {
    const host = ctx.req.header('host') ?? '';
    const own = `${deps.isHttps(ctx.req) ? 'https' : 'http'}://${host}`;
    if (origin.toLowerCase() !== own.toLowerCase()) {
      throw new HttpError(403, 'Forbidden', { code: 'ERR_WS_ORIGIN_FORBIDDEN' });
    }
  }
  if (deps.liveSockets.size >= deps.maxLiveSockets) {
    throw new HttpError(503, 'Too many live connections open; try again later', { code: 'ERR_TOO_MANY_SOCKETS', headers: { 'retry-after': '5' } });
  }
}
