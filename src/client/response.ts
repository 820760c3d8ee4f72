/**
 * What a request resolves to: the response head, and its body as a stream.
 *
 * Owns `ClientResponse` and `ResponseBody`. The body is a Node Readable fed
 * by the connection: when its buffer is full (`push()` returns false) the
 * connection stops reading the socket, so a slow consumer slows the server
 * down (TCP backpressure) instead of filling memory. Until the body is read to
 * its end (or `dump()`ed), the connection cannot carry another request.
 * Must not import server/.
 */
import { Readable } from 'node:stream';

/** A response body: a byte stream (async-iterable), with helpers that read it whole. */
export class ResponseBody extends Readable {
  readonly #onRead: () => void;

  /** @param onRead called when the consumer wants more: the connection resumes reading. */
  constructor(onRead: () => void) {
    super();
    this.#onRead = onRead;
    // The body can fail before the caller has even seen the response (the rest of a bad chunked
    // body arrived with the head). The error is kept (`errored`) and rethrown to whoever reads
    // the body; without a listener it would be an uncaught 'error' event instead.
    this.on('error', () => {});
  }

  override _read(): void {
    this.#onRead();
  }

  /** The whole body as bytes. */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk as Buffer);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The whole body decoded as UTF-8. */
  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  /** The whole body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** Reads the body to its end and drops it, so the connection can be reused. */
  async dump(): Promise<void> {
    for await (const chunk of this) void chunk;
  }
}

/** A response: status, fields, and a body to read (streamed). */
export class ClientResponse {
  /** Status code (200..599). */
  readonly status: number;
  /** Reason phrase as received ('' when absent); informational only (RFC 9112 §4). */
  readonly reason: string;
  /** '1.0' or '1.1'. */
  readonly version: '1.0' | '1.1';
  /** Field lines as received: [name0, value0, ...] (values trimmed, latin1). */
  readonly rawHeaders: readonly string[];
  /** Trailer fields of a chunked body, [name, value, ...]; empty until the body has ended. */
  rawTrailers: readonly string[] = [];
  readonly body: ResponseBody;
  #headers: Record<string, string> | undefined;

  constructor(status: number, reason: string, version: '1.0' | '1.1', rawHeaders: readonly string[], body: ResponseBody) {
    this.status = status;
    this.reason = reason;
    this.version = version;
    this.rawHeaders = rawHeaders;
    this.body = body;
  }

  /** Fields by lower-cased name; repeated fields joined with ", " (RFC 9110 §5.3; use rawHeaders for Set-Cookie). */
  get headers(): Record<string, string> {
    return (this.#headers ??= fieldRecord(this.rawHeaders));
  }

  /** Trailers by lower-cased name, once the body has ended. */
  get trailers(): Record<string, string> {
    return fieldRecord(this.rawTrailers);
  }
}

function fieldRecord(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    out[k] = k in out ? `${out[k]}, ${raw[i + 1]}` : raw[i + 1];
  }
  return out;
}
