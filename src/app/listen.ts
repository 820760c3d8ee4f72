/**
 * Starting keel's socket server for a Handler: the one place the app layer
 * touches server/ with a value import (`app.listen`, `serveFetch`).
 *
 * Owns `startServer` and its options. Must not: configure the server beyond
 * passing options through; server limits belong to server/. The import is
 * dynamic so that loading the app layer (e.g. for in-memory tests) never loads
 * the socket server.
 */
import type { Handler } from '../server/handler.js';
import type { Server } from '../server/server.js';

/** Options of keel's Server (limits, timeouts, TLS), as server/ defines them. */
export type ServerOptions = NonNullable<ConstructorParameters<typeof Server>[1]>;

/** Where and how to listen. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default "127.0.0.1" (safe: not exposed unless asked). */
  host?: string;
  /** Options passed to `new Server(handler, serverOptions)` (see docs on server limits). */
  serverOptions?: ServerOptions;
}

/** A started server, as far as the app layer needs it. */
export interface RunningServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Stops accepting, finishes in-flight requests, closes connections. */
  close(): Promise<void>;
}

/** Default bind address: loopback, so nothing is exposed by accident. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** Starts a keel Server for `handler` and resolves once it listens. */
export async function startServer(handler: Handler, options: ListenOptions = {}): Promise<RunningServer> {
  const { Server: ServerClass } = await import('../server/server.js');
  const server = new ServerClass(handler, options.serverOptions);
  await server.listen(options.port ?? 0, options.host ?? DEFAULT_LISTEN_HOST);
  return server;
}
