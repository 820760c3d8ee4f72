/**
 * The WebSocket upgrade for Handler users: `upgradeWebSocket(req, res, handlers, options)`.
 *
 * Owns the server side of the opening handshake (RFC 6455 §4.2.2): it checks
 * the request with wire/websocket-handshake.ts and refuses a bad one through
 * the normal response (400, or 426 with `Sec-WebSocket-Version: 13` / an
 * `Upgrade` field), selects the subprotocol and permessage-deflate
 * parameters, computes Sec-WebSocket-Accept with node:crypto's SHA-1, writes
 * the 101 with the fields the handler set (cookies from middleware), takes
 * the socket from the Connection (the bytes after the head included) and
 * starts a WebSocket on it. Authorization (Origin allow-list, cookies,
 * sessions) is the caller's, before calling it (§10.2). It does not frame
 * messages (websocket.ts does).
 */
import { createHash } from 'node:crypto';
import {
  acceptKey,
  checkUpgradeRequest,
  negotiatePerMessageDeflate,
  selectSubprotocol,
  upgradeResponseHeaders,
  type PerMessageDeflateConfig,
} from '../wire/websocket-handshake.js';
import { reasonPhrase } from '../wire/status.js';
import type { DetachedSocket, UpgradedProtocol } from './connection.js';
import type { Request, ResponseWriter } from './handler.js';
import { WebSocket, type WebSocketHandlers, type WebSocketOptions } from './websocket.js';

/** Options of an upgrade: the connection's options plus what the handshake decides. */
export interface UpgradeOptions<T = unknown> extends WebSocketOptions {
  /**
   * Subprotocols the server speaks: the first one the client offered wins (its order is its
   * preference, §11.3.4); or a function choosing among the offered ones (null: none).
   */
  protocols?: readonly string[] | ((offered: readonly string[]) => string | null);
  /**
   * permessage-deflate (RFC 7692): false (default) answers without it; true accepts a valid
   * offer with the defaults of PerMessageDeflateConfig; a config sets windows and context takeover.
   */
  perMessageDeflate?: boolean | PerMessageDeflateConfig;
  /** `ws.data`. */
  data?: T;
}

/** The server's responses can hand their connection over (OutgoingResponse.detach). */
interface Detachable {
  detach(owner: UpgradedProtocol): DetachedSocket;
}

const sha1 = (s: string): Buffer => createHash('sha1').update(s, 'latin1').digest();

/** Response fields that belong to the handshake or to HTTP framing, never copied from the handler's into the 101. */
const HANDSHAKE_FIELDS = new Set([
  'upgrade',
  'connection',
  'content-length',
  'transfer-encoding',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/**
 * Answers a WebSocket upgrade request: 101 and a WebSocket, or a refusal through `res`
 * (400 or 426, RFC 6455 §4.2.1, §4.4) and null. The response must not have started.
 * @example
 * const server = new Server((req, res) => {
 *   if (req.path === '/ws') upgradeWebSocket(req, res, { message: (ws, data) => ws.send(data) });
 *   else res.end('hello');
 * });
 */
export function upgradeWebSocket<T = undefined>(
  req: Request,
  res: ResponseWriter,
  handlers: WebSocketHandlers<T>,
  options: UpgradeOptions<T> = {},
): WebSocket<T> | null {
  if (res.headersSent || res.finished) throw new Error('upgradeWebSocket(): the response has already started');
  // The client left while the handler decided (an async auth check): nothing to upgrade.
  if (res.closed) return null;
  if (typeof (res as Partial<Detachable>).detach !== 'function') throw new TypeError('upgradeWebSocket() needs a response of keel\'s Server');
  const check = checkUpgradeRequest(req);
  if (!check.ok) {
    refuse(res, check.status, check.headers);
    return null;
  }
  // §4.2.1 asks for a GET; one with a body would leave body bytes between the head and the
  // first frame. Refused rather than guessed at.
  if (req.hasBody) {
    refuse(res, 400, []);
    return null;
  }
  const protocol = options.protocols === undefined ? null : selectSubprotocol(check.protocols, options.protocols);
  const deflate =
    options.perMessageDeflate === undefined || options.perMessageDeflate === false
      ? null
      : negotiatePerMessageDeflate(check.extensions, options.perMessageDeflate === true ? {} : options.perMessageDeflate);
  // §4.2.2 item 5: the 101 with Upgrade, Connection, Sec-WebSocket-Accept, the chosen subprotocol and extensions.
  const fields = upgradeResponseHeaders(acceptKey(check.key, sha1), protocol, deflate?.header ?? null);
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (let i = 0; i < fields.length; i += 2) head += `${fields[i]}: ${fields[i + 1]}\r\n`;
  // Fields the handler (or middleware) set, e.g. Set-Cookie, go with the 101 (they were checked when set).
  for (const [name, value] of res.headers.entries()) if (!HANDSHAKE_FIELDS.has(name.toLowerCase())) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  let ws: WebSocket<T> | null = null;
  const detached = (res as ResponseWriter & Detachable).detach({ shutdown: () => ws?.shutdown() });
  detached.socket.write(head, 'latin1');
  ws = new WebSocket<T>({
    socket: detached.socket,
    handlers,
    options: options.onError === undefined ? { ...options, onError: detached.reportError } : options,
    deflate: deflate?.params ?? null,
    protocol: protocol ?? '',
    extensions: deflate?.header ?? '',
    data: options.data as T,
    remoteAddress: req.remoteAddress,
  });
  if (handlers.handshake !== undefined) {
    try {
      handlers.handshake(ws, head);
    } catch (err) {
      (options.onError ?? detached.reportError)(err, 'websocket handshake handler failed');
    }
  }
  ws.start(detached.head);
  return ws;
}

/** A refused handshake: the status, the fields the check asks for, a short text body (never request bytes). */
function refuse(res: ResponseWriter, status: number, headers: readonly string[]): void {
  res.status = status;
  for (let i = 0; i < headers.length; i += 2) res.headers.set(headers[i], headers[i + 1]);
  res.headers.set('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${reasonPhrase(status)}\n`);
}
