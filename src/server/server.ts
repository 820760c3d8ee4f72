/**
 * Server: the listener on node:net (or node:tls), connection bookkeeping, the
 * timeout sweep and graceful shutdown.
 *
 * Owns accepting sockets, the set of live connections, and `close()`. Plain
 * TCP and TLS share one code path: a TLSSocket is handed to the same
 * Connection as a net.Socket. It never imports node:http.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { Connection, type ConnectionHost, type UpgradedProtocol } from './connection.js';
import type { Handler } from './handler.js';
import { ResponseHeadCache } from './head-cache.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';
import { readProxyHeader } from './proxy-protocol.js';
import type { ConnState } from './state.js';

/** An HTTP/1.1 server running a Handler. */
export class Server {
  readonly handler: Handler;
  /** Resolved options: private, so they cannot be changed under live connections. */
  readonly #options: Readonly<ResolvedOptions>;
  /** What each Connection sees of this server (kept off the public class: issue #13 item 3). */
  readonly #host: ConnectionHost;
  readonly #listener: net.Server;
  readonly #connections = new Set<Connection>();
  /**
   * Sockets handed to another protocol (a WebSocket, issue #15) and their owners, until the
   * socket closes: their Connection is gone (detach()), so shutdown and metrics find them here.
   */
  readonly #upgraded = new Map<Socket, UpgradedProtocol>();
  /** Sockets still sending their PROXY protocol header (not Connections yet). */
  readonly #proxyPending = new Set<Socket>();
  /**
   * With TLS, every accepted TCP socket from its accept to its close. Those still in their
   * handshake are no Connection yet and only this set reaches them: close() destroys them at
   * its deadline, else listener.close() waits for them (a client stalled mid-handshake).
   */
  readonly #tlsSockets = new Set<Socket>();
  #sweep: NodeJS.Timeout | undefined;
  #shuttingDown = false;
  #drained: (() => void) | null = null;
  /** The shutdown in progress: a second close() shares it instead of replacing its waiter. */
  #closing: Promise<void> | undefined;

  /**
   * @example
   * const server = new Server((req, res) => res.end('Hello, World!'));
   * await server.listen(8000, '127.0.0.1');
   */
  constructor(handler: Handler, options: ServerOptions = {}) {
    this.handler = handler;
    this.#options = resolveOptions(options);
    const server = this;
    this.#host = {
      options: this.#options,
      handler,
      heads: new ResponseHeadCache(),
      get isShuttingDown() {
        return server.#shuttingDown;
      },
      connectionClosed: (conn) => this.#connectionClosed(conn),
      connectionUpgraded: (conn, owner, socket) => this.#connectionUpgraded(conn, owner, socket),
    };
    const secure = this.#options.tls !== undefined;
    if (secure && this.#options.proxyProtocol) throw new TypeError('proxyProtocol is not supported with tls: terminate TLS at the proxy');
    const onSocket = (socket: Socket): void => (this.#options.proxyProtocol ? this.#acceptProxied(socket) : this.#accept(socket, secure));
    // allowHalfOpen: a client's FIN must not cut off the responses it is owed (RFC 9112 §9.6);
    // the Connection closes its side itself once they are sent.
    this.#listener = secure ? this.#tlsListener(onSocket) : net.createServer({ noDelay: true, allowHalfOpen: true }, onSocket);
    if (this.#options.maxConnections > 0) this.#listener.maxConnections = this.#options.maxConnections;
    this.#listener.on('error', (err) => this.#options.onError(err, 'listener error'));
  }

  /** Starts listening; resolves with the bound address. Port 0 picks a free port. */
  listen(port = 0, host = '127.0.0.1', backlog = 511): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#listener.once('error', onError);
      this.#listener.listen(port, host, backlog, () => {
        this.#listener.off('error', onError);
        this.#startSweep();
        resolve(this.#listener.address() as AddressInfo);
      });
    });
  }

  /** The bound port (after listen). */
  get port(): number {
    return (this.#listener.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The bound address (after listen). */
  address(): AddressInfo | null {
    return this.#listener.address() as AddressInfo | null;
  }

  /** True once close() was called. */
  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Live connections counted by state (for metrics and shutdown tests). */
  connectionStates(): Record<ConnState, number> {
    const out: Record<ConnState, number> = { new: 0, active: 0, idle: 0, closing: 0, closed: 0, upgraded: 0 };
    for (const c of this.#connections) out[c.state]++;
    out.upgraded += this.#upgraded.size;
    return out;
  }

  /** Serves an already-connected socket (e.g. one handed over by a PROXY-protocol reader). */
  serveSocket(socket: Socket, isSecure = false): void {
    this.#accept(socket, isSecure);
  }

  /**
   * Graceful shutdown: stop accepting, answer every request already read (the last response
   * on each connection carries Connection: close), close idle and new connections once quiet
   * for `shutdownIdleGraceMs`, and destroy whatever is left after `deadlineMs` (default
   * `shutdownTimeoutMs`). A request of which no byte was read finds its connection closed
   * first, so its client may retry it (Connection.shutdown()).
   */
  close(deadlineMs = this.#options.shutdownTimeoutMs): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#shuttingDown = true;
    const closed = new Promise<void>((resolve) => {
      if (this.#listener.listening) this.#listener.close(() => resolve());
      else resolve();
    });
    for (const c of this.#connections) c.shutdown();
    for (const owner of this.#upgraded.values()) owner.shutdown();
    for (const s of this.#proxyPending) s.destroy();
    const drained = new Promise<void>((resolve) => {
      if (this.#isDrained()) resolve();
      else this.#drained = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of this.#connections) c.destroy();
        for (const s of this.#upgraded.keys()) s.destroy();
        // Handshakes still in progress: listener.close() waits for their sockets too.
        for (const s of this.#tlsSockets) s.destroy();
        resolve();
      }, deadlineMs);
      timer.unref();
    });
    return (this.#closing = Promise.race([drained, deadline])
      .then(() => closed)
      .finally(() => {
        clearTimeout(timer);
        this.#stopSweep();
      }));
  }

  /**
   * The TLS listener. Half-open sockets are allowed only once the handshake is done: a client
   * that gives up during the handshake (one that rejects our certificate closes right after
   * it) sends a FIN, and a half-open socket waiting for the rest of the handshake was never
   * closed, nor timed out by node:tls, so close() never resolved. Until then, a FIN closes it.
   */
  #tlsListener(onSocket: (socket: Socket) => void): tls.Server {
    const o = this.#options;
    // setTimeout's largest delay (2^31 - 1 ms): node:tls takes 0 for its 120 s default.
    const handshakeTimeout = o.tlsHandshakeTimeoutMs > 0 ? o.tlsHandshakeTimeoutMs : 2 ** 31 - 1;
    const listener = tls.createServer({ ...o.tls!, allowHalfOpen: false, handshakeTimeout });
    listener.on('connection', (raw: Socket) => {
      this.#tlsSockets.add(raw);
      raw.once('close', () => this.#tlsSockets.delete(raw));
    });
    listener.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.allowHalfOpen = true; // read when the FIN arrives ('end'), so it applies from here on
      onSocket(socket);
    });
    // A failed handshake (bad ClientHello, timeout, reset): nothing to answer in HTTP.
    listener.on('tlsClientError', (_err, socket) => socket.destroy());
    return listener;
  }

  #connectionClosed(conn: Connection): void {
    this.#connections.delete(conn);
    this.#checkDrained();
  }

  /** detach(): the Connection is done; its socket and new owner are tracked until the socket closes. */
  #connectionUpgraded(conn: Connection, owner: UpgradedProtocol, socket: Socket): void {
    this.#connections.delete(conn);
    this.#upgraded.set(socket, owner);
    // 'close' comes once: on() spares once()'s wrapper on every upgraded socket.
    socket.on('close', () => {
      this.#upgraded.delete(socket);
      this.#checkDrained();
    });
    // Shutting down already (an upgrade answered during close()): the new protocol closes too.
    if (this.#shuttingDown) queueMicrotask(() => owner.shutdown());
  }

  #isDrained(): boolean {
    return this.#connections.size === 0 && this.#upgraded.size === 0;
  }

  /** Resolves close()'s wait once no connection, upgraded or not, is left. */
  #checkDrained(): void {
    if (this.#isDrained() && this.#drained !== null) {
      const resolve = this.#drained;
      this.#drained = null;
      resolve();
    }
  }

  #accept(socket: Socket, secure: boolean, remote?: { address: string; port: number }): void {
    if (this.#shuttingDown) {
      socket.destroy();
      return;
    }
    // serveSocket() may be used without listen(): the sweep enforces every timeout, so start it here too.
    this.#startSweep();
    this.#connections.add(new Connection(socket, this.#host, secure, remote));
  }

  /** PROXY protocol: read the header first (bad or late: close), then serve as from the client it names. */
  #acceptProxied(socket: Socket): void {
    this.#proxyPending.add(socket);
    readProxyHeader(socket, { timeoutMs: this.#options.proxyHeaderTimeoutMs }).then(
      ({ header, rest }) => {
        this.#proxyPending.delete(socket);
        if (rest.length > 0) socket.unshift(rest); // the start of the HTTP request
        this.#accept(socket, false, header.source);
        socket.resume(); // readProxyHeader paused it so no byte was lost
      },
      () => {
        this.#proxyPending.delete(socket);
        socket.destroy();
      },
    );
  }

  /** One timer for every connection's deadline, instead of a timer per socket. */
  #startSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => {
      const now = this.#options.clock();
      for (const c of this.#connections) {
        if (c.deadline !== 0 && now >= c.deadline) c.onDeadline();
        if (c.sendDeadline !== 0 && now >= c.sendDeadline) c.onSendTimeout();
      }
    }, this.#options.timerResolutionMs || 1);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}

/** Creates a Server (same as `new Server(handler, options)`). */
export function createServer(handler: Handler, options?: ServerOptions): Server {
  return new Server(handler, options);
}
