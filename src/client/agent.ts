/**
 * Agent: one Client per origin, made on first use, for requests to many origins.
 *
 * Owns the origin → Client map, its bound (`maxOrigins`, least recently used
 * idle Client closed first) and passing the same options to each Client. Each
 * Client keeps its own pool and limits (`maxConnections` is per origin, as in
 * browsers and undici's Agent). Must not import server/.
 */
import { Client } from './client.js';
import { ClientClosedError } from './errors.js';
import { resolveAgentMaxOrigins, type AgentOptions, type ClientOptions, type RequestOptions } from './options.js';
import type { ClientResponse } from './response.js';

/** Requests to any http/https URL, pooled per origin. */
export class Agent {
  readonly #options: ClientOptions;
  readonly #maxOrigins: number;
  /** Clients by origin, least recently used first (a use moves a Client to the end). */
  readonly #clients = new Map<string, Client>();
  #closed = false;

  /** @param options every Client option (docs/limits.md, "Client"), and `maxOrigins`. Throws RangeError on a bad value. */
  constructor(options: AgentOptions = {}) {
    const { maxOrigins, ...clientOptions } = options;
    this.#maxOrigins = resolveAgentMaxOrigins({ maxOrigins });
    this.#options = clientOptions;
  }

  /** Clients (origins) held now: at most `maxOrigins`, unless more origins than that are busy at once. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * The Client of an origin ('http://host:port'), created on first use. A Client the Agent
   * evicts (see `maxOrigins`) is closed: hold the Agent, not its Clients.
   */
  client(origin: string | URL): Client {
    if (this.#closed) throw new ClientClosedError();
    const key = (typeof origin === 'string' ? new URL(origin) : origin).origin;
    let c = this.#clients.get(key);
    if (c !== undefined) {
      // Most recently used last: Map iteration order is insertion order.
      this.#clients.delete(key);
    } else {
      // Check the origin (and the options, on first use) before anything is evicted for it.
      c = new Client(key, this.#options);
      this.#evictFor();
    }
    this.#clients.set(key, c);
    return c;
  }

  /** Sends a request to `url` (its path and query become the target; a fragment is never sent, RFC 9112 §3.2). */
  request(url: string | URL, options: Omit<RequestOptions, 'path'> = {}): Promise<ClientResponse> {
    const u = typeof url === 'string' ? new URL(url) : url;
    if (u.username !== '' || u.password !== '') return Promise.reject(new TypeError('credentials in a URL are not sent; use an Authorization field'));
    let client: Client;
    try {
      client = this.client(u.origin);
    } catch (err) {
      return Promise.reject(err);
    }
    return client.request({ ...options, path: `${u.pathname}${u.search}` });
  }

  /** Closes every Client gracefully (see Client.close()). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#clients.values()].map((c) => c.close()));
    this.#clients.clear();
  }

  /** Destroys every Client now. */
  destroy(err?: Error): void {
    this.#closed = true;
    for (const c of this.#clients.values()) c.destroy(err);
    this.#clients.clear();
  }

  /**
   * Makes room for one more Client: while the map is full, closes the least recently used Client
   * with nothing queued or in flight (its idle connections close at once). A busy Client is
   * skipped, never failed: its callers are waiting on it, and it becomes evictable when done.
   */
  #evictFor(): void {
    if (this.#clients.size < this.#maxOrigins) return;
    for (const [key, c] of this.#clients) {
      if (c.queued > 0 || c.inflight > 0) continue;
      this.#clients.delete(key);
      void c.close();
      if (this.#clients.size < this.#maxOrigins) return;
    }
  }
}
