/**
 * IncomingRequest: the `Request` of the Handler contract, built from a parsed head.
 *
 * Owns lazy views of the request (path/query split, header lookup, abort
 * signal) and the body accessors. It reads the body through a `BodySource`
 * that the Connection provides, so it never touches the socket itself.
 */
import type { RequestEvent } from '../wire/parser.js';
import { splitTarget } from '../wire/target.js';
import type { Request } from './handler.js';

/** What a request pulls its body from (the Connection). */
export interface BodySource {
  /**
   * The next piece of `req`'s body, or null at its end. Rejects on protocol errors, timeouts
   * and aborts, and when `req` is no longer the request whose body the connection is reading.
   */
  readBody(req: IncomingRequest): Promise<Buffer | null>;
}

/** Peer and local addresses of a connection, read once per connection. */
export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly isSecure: boolean;
}

const NO_TRAILERS: readonly string[] = Object.freeze([]);

/** The server's implementation of `Request`. */
export class IncomingRequest implements Request {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  readonly rawHeaders: readonly string[];
  readonly hasBody: boolean;
  readonly contentLength: number | undefined;
  /** Trailer fields, set by the connection when a chunked body ends. */
  trailers: readonly string[] = NO_TRAILERS;
  readonly #source: BodySource;
  readonly #info: ConnectionInfo;
  #path: string | undefined;
  #query = '';
  #bodyUsed = false;
  #abort: AbortController | undefined;
  #aborted = false;

  constructor(head: RequestEvent, source: BodySource, info: ConnectionInfo) {
    this.method = head.method;
    this.target = head.target;
    this.version = head.version;
    this.rawHeaders = head.rawHeaders;
    this.hasBody = head.bodyKind !== 'none';
    this.contentLength = head.bodyKind === 'length' ? head.contentLength : head.bodyKind === 'none' ? 0 : undefined;
    this.#source = source;
    this.#info = info;
  }

  get path(): string {
    if (this.#path === undefined) this.#split();
    return this.#path!;
  }

  get query(): string {
    if (this.#path === undefined) this.#split();
    return this.#query;
  }

  #split(): void {
    const parts = splitTarget(this.target);
    this.#path = parts.path;
    this.#query = parts.query;
  }

  header(name: string): string | undefined {
    const h = this.rawHeaders;
    const n = name.length;
    let lower: string | undefined;
    let out: string | undefined;
    for (let i = 0; i < h.length; i += 2) {
      const k = h[i];
      if (k.length !== n) continue;
      if (k !== name && k.toLowerCase() !== (lower ??= name.toLowerCase())) continue;
      // RFC 9110 §5.3: repeated fields combine with ", "; Cookie lines with "; " (RFC 6265 §5.4).
      out = out === undefined ? h[i + 1] : `${out}${(lower ?? name.toLowerCase()) === 'cookie' ? '; ' : ', '}${h[i + 1]}`;
    }
    return out;
  }

  headerAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    const h = this.rawHeaders;
    for (let i = 0; i < h.length; i += 2) if (h[i].toLowerCase() === lower) out.push(h[i + 1]);
    return out;
  }

  get body(): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => this.#iterate() };
  }

  async *#iterate(): AsyncGenerator<Buffer> {
    if (this.#bodyUsed) throw new TypeError('request body already consumed');
    this.#bodyUsed = true;
    for (;;) {
      const chunk = await this.#source.readBody(this);
      if (chunk === null) return;
      yield chunk;
    }
  }

  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.body) {
      parts.push(chunk);
      total += chunk.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  get remoteAddress(): string {
    return this.#info.remoteAddress;
  }
  get remotePort(): number {
    return this.#info.remotePort;
  }
  get localAddress(): string {
    return this.#info.localAddress;
  }
  get localPort(): number {
    return this.#info.localPort;
  }
  get isSecure(): boolean {
    return this.#info.isSecure;
  }

  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort(new Error('client disconnected'));
    }
    return this.#abort.signal;
  }

  /** Called by the connection when the client goes away before the response completed. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abort?.abort(new Error('client disconnected'));
  }
}
