/**
 * Agent: one Client per origin, made on first use, for requests to many origins.
 *
 * Owns the origin → Client map and passing the same options to each. Each
 * Client keeps its own pool and limits (`maxConnections` is per origin, as in
 * browsers and undici's Agent). Must not import server/.
 */
import { Client } from './client.js';
import { ClientClosedError } from './errors.js';
import type { ClientOptions, RequestOptions } from './options.js';
import type { ClientResponse } from './response.js';

/** Requests to any http/https URL, pooled per origin. */
export class Agent {
  readonly #options: ClientOptions;
  readonly #clients = new Map<string, Client>();
  #closed = false;

  constructor(options: ClientOptions = {}) {
    this.#options = options;
  }

  /** The Client of an origin ('http://host:port'), created on first use. */
  client(origin: string | URL): Client {
    if (this.#closed) throw new ClientClosedError();
    const key = (typeof origin === 'string' ? new URL(origin) : origin).origin;
    let c = this.#clients.get(key);
    if (c === undefined) {
      c = new Client(key, this.#options);
      this.#clients.set(key, c);
    }
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
}
