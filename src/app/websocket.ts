/**
 * WebSocket routes of the App: `app.ws(path, { upgrade?, open, message, close, drain })` (issue #15).
 *
 * Owns turning a WebSocket route into a GET route handler: the app's
 * middleware has run on the upgrade request already (auth, cookies, session),
 * then the route's own checks (an Origin allow-list → 403, RFC 6455 §10.2),
 * then its `upgrade(ctx)` hook, which may refuse by throwing an HttpError or
 * by answering, and whose result becomes `ws.data.data`. Then the server's
 * `res.upgradeWebSocket()` does the handshake. It imports server/ as types
 * only (test/architecture.test.ts): the upgrade is reached through the
 * response the server gave, so an in-memory request (`app.request()`) that
 * has no connection to hand over gets 501.
 */
import type { Context } from './context.js';
import type { Middleware } from './compose.js';
import { HttpError } from './http-error.js';
import { isWebSocketUpgrade } from '../wire/websocket-handshake.js';
import type { WebSocket, WebSocketHandlers } from '../server/websocket.js';
import type { UpgradeOptions } from '../server/websocket-upgrade.js';

/** What `ws.data` holds on a WebSocket opened by a route. */
export interface WsRouteData<P, S, T> {
  /** The route's params, percent-decoded (as `ctx.params`). */
  readonly params: P;
  /** `ctx.state` as middleware left it (the user, the session...). */
  readonly state: S;
  /** What the route's `upgrade(ctx)` returned. */
  readonly data: T;
}

/** A WebSocket route: the connection's handlers, the upgrade hook and options. */
export interface WsRoute<P extends object, S extends object, T = undefined> extends WebSocketHandlers<WsRouteData<P, S, T>> {
  /**
   * Runs on the upgrade request after the app's middleware: refuse by throwing an HttpError
   * (e.g. 401) or by answering through ctx; what it returns becomes `ws.data.data`.
   */
  upgrade?(ctx: Context<P, S>): T | Promise<T>;
  /**
   * Origins allowed to open this WebSocket (exact `Origin` values, e.g. `https://example.com`);
   * another Origin gets 403 (RFC 6455 §10.2: browsers send it so the server can refuse
   * cross-site pages). A request without Origin (not a browser) is allowed. Default: any.
   */
  allowedOrigins?: readonly string[];
  /** Subprotocols, permessage-deflate, limits and timeouts of the connection (docs/websocket.md). */
  options?: Omit<UpgradeOptions<WsRouteData<P, S, T>>, 'data'>;
}

type Upgrader<D> = (req: Context['req'], handlers: WebSocketHandlers<D>, options?: UpgradeOptions<D>) => WebSocket<D> | null;

/**
 * The GET route handler of a WebSocket route.
 * @example
 * app.ws('/chat/:room', {
 *   allowedOrigins: ['https://example.com'],
 *   upgrade: (ctx) => requireUser(ctx),
 *   open: (ws) => ws.subscribe(ws.data.params.room),
 *   message: (ws, text) => ws.publish(ws.data.params.room, text),
 * });
 */
export function webSocketRoute<P extends object, S extends object, T>(route: WsRoute<P, S, T>): Middleware<Context<P, S>> {
  const { upgrade, allowedOrigins, options, ...handlers } = route;
  return (ctx) => {
    const req = ctx.req;
    if (!isWebSocketUpgrade(req)) {
      // RFC 9110 §15.5.22: this resource needs the upgrade; 426 names it.
      throw new HttpError(426, 'Upgrade Required', { code: 'ERR_WS_UPGRADE_REQUIRED', headers: { upgrade: 'websocket', connection: 'upgrade' } });
    }
    if (allowedOrigins !== undefined) {
      const origin = req.header('origin');
      if (origin !== undefined && !allowedOrigins.includes(origin)) {
        throw new HttpError(403, 'Forbidden', { code: 'ERR_WS_ORIGIN_FORBIDDEN' });
      }
    }
    const upgradeWebSocket = ctx.res.upgradeWebSocket as Upgrader<WsRouteData<P, S, T>> | undefined;
    if (upgradeWebSocket === undefined) {
      throw new HttpError(501, 'Not Implemented', { code: 'ERR_WS_NO_CONNECTION' });
    }
    const open = (data: T): void => {
      // upgrade() may have answered (a refusal written by hand): then there is nothing to upgrade.
      if (ctx.res.headersSent || ctx.res.finished) return;
      upgradeWebSocket.call(ctx.res, req, handlers, { ...options, data: { params: ctx.params, state: ctx.state, data } });
    };
    if (upgrade === undefined) return open(undefined as T);
    const result = upgrade(ctx);
    if (result != null && typeof (result as Promise<T>).then === 'function') return (result as Promise<T>).then(open);
    return open(result as T);
  };
}
