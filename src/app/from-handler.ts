/**
 * fromHandler(): any keel Handler (the static handler, the CGI gateway) as App middleware
 * whose response the App's middleware can still shape (issue #16 items 1 and 7).
 *
 * Owns `HandlerResponse`, the ResponseWriter the inner Handler writes to (Go's way:
 * wrap the writer). It does not send anything: `end(body)` becomes `ctx.body`, and the
 * first `write()` turns the body into a stream that the App pumps after the chain, so
 * compress(), cors(), secureHeaders() and code after `await next()` see the Handler's
 * status, fields and body before the head goes out. Backpressure is kept: `write()`
 * returns false and `drain()` waits once `HANDLER_BUFFER_BYTES` are queued, until the
 * pump (the socket) takes them. The middleware returns as soon as the Handler has
 * started a stream, so the pump can start while the Handler is still writing.
 * Must not: buffer a streamed body beyond that bound, or keep a Handler waiting on
 * drain() after the client left (the pump's end releases it).
 */
import type { Handler, HeaderMapLike, Request, ResponseWriter } from '../server/handler.js';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';

/**
 * Bytes a Handler may queue before `write()` returns false: 64 KiB, Node's default
 * highWaterMark for file streams and the static handler's read size, so one read is
 * in flight while the previous one goes out.
 */
export const HANDLER_BUFFER_BYTES = 64 * 1024;

type Phase = 'open' | 'head' | 'streaming' | 'ended';

/** The writer an inner Handler gets: records instead of sending (see the file header). */
class HandlerResponse implements ResponseWriter {
  readonly #real: ResponseWriter;
  readonly #ctx: Context<any, any>;
  readonly #started: () => void;
  #phase: Phase = 'open';
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #failure: unknown;
  #isAbandoned = false;
  /** Wakes the stream's consumer (a chunk, the end or a failure arrived). */
  #wakeConsumer: (() => void) | undefined;
  /** Wake producers waiting in drain(). */
  #drainers: Array<() => void> = [];

  constructor(real: ResponseWriter, ctx: Context<any, any>, started: () => void) {
    this.#real = real;
    this.#ctx = ctx;
    this.#started = started;
  }

  get status(): number {
    return this.#real.status;
  }
  set status(code: number) {
    if (this.#phase !== 'open') throw new Error('headers already sent');
    this.#real.status = code;
  }
  get headers(): HeaderMapLike {
    return this.#real.headers;
  }
  /** From the Handler's point of view: its head is decided once it wrote. */
  get headersSent(): boolean {
    return this.#phase !== 'open';
  }
  get finished(): boolean {
    return this.#phase === 'ended';
  }
  get closed(): boolean {
    return this.#real.closed || this.#isAbandoned;
  }

  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this {
    if (this.#phase !== 'open') throw new Error('headers already sent');
    this.#real.status = status;
    if (headers) for (const name of Object.keys(headers)) this.#real.headers.set(name, headers[name]!);
    this.#phase = 'head';
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#phase === 'ended') throw new Error('write after end');
    if (this.#phase !== 'streaming') this.#startStream();
    if (this.closed) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.length > 0) {
      this.#queue.push(bytes);
      this.#queuedBytes += bytes.length;
      this.#wake();
    }
    return this.#queuedBytes < HANDLER_BUFFER_BYTES;
  }

  drain(): Promise<void> {
    if (this.#queuedBytes < HANDLER_BUFFER_BYTES || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drainers.push(resolve));
  }

  end(chunk?: string | Uint8Array): void {
    if (this.#phase === 'ended') return;
    if (this.#phase === 'streaming') {
      if (chunk !== undefined && chunk.length > 0) this.write(chunk);
      this.#phase = 'ended';
      this.#wake();
      return;
    }
    // The whole body in one call: it stays whole (a Content-Length, compressible at once).
    this.#phase = 'ended';
    this.#ctx.body = chunk ?? null;
    this.#started();
  }

  setTrailer(name: string, value: string): void {
    this.#real.setTrailer(name, value);
  }
  writeEarlyHints(fields: Record<string, string | readonly string[]>): void {
    this.#real.writeEarlyHints(fields);
  }
  onClose(fn: () => void): void {
    this.#real.onClose(fn);
  }

  destroy(err?: unknown): void {
    this.fail(err ?? new Error('response destroyed by its handler'));
  }

  /** The Handler failed after it started a stream: the pump throws, and the error mapping cuts the response. */
  fail(err: unknown): void {
    if (this.#phase === 'ended' && this.#failure === undefined && this.#queue.length === 0) return;
    this.#failure = err;
    this.#phase = 'ended';
    this.#wake();
  }

  #startStream(): void {
    this.#phase = 'streaming';
    this.#ctx.body = this.#chunks();
    this.#started();
  }

  #wake(): void {
    const w = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    w?.();
  }

  #releaseProducers(): void {
    const ds = this.#drainers;
    this.#drainers = [];
    for (const d of ds) d();
  }

  /** The body as the App's pump reads it. */
  async *#chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const c = this.#queue.shift();
        if (c !== undefined) {
          this.#queuedBytes -= c.length;
          if (this.#queuedBytes < HANDLER_BUFFER_BYTES) this.#releaseProducers();
          yield c;
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure;
        if (this.#phase === 'ended') return;
        await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
      }
    } finally {
      // Done, failed, or the client left and the pump stopped: never leave the Handler waiting.
      this.#isAbandoned = true;
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#releaseProducers();
    }
  }
}

/**
 * Runs a keel Handler as middleware. `make` receives a `fallthrough` Handler: give it
 * to the Handler as its "not mine" answer (the static handler's `onNotFound`) and the
 * request goes on to the App's next middleware and routes. What the Handler writes
 * becomes the App's response (ctx.body), so middleware after `await next()` shapes it.
 *
 * @example
 * app.use(fromHandler((next) => staticHandler({ root: 'public', prefix: '/assets', onNotFound: next })));
 */
export function fromHandler(make: (fallthrough: Handler) => Handler): Middleware<Context<any, any>> {
  const nexts = new WeakMap<Request, Next>();
  const fallthrough: Handler = (req) => {
    const next = nexts.get(req);
    if (next === undefined) throw new Error('fromHandler: fallthrough called outside its request');
    nexts.delete(req);
    return next();
  };
  const handler = make(fallthrough);
  return function handlerMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    nexts.set(ctx.req, next);
    return new Promise<void>((resolve, reject) => {
      let isStarted = false;
      const w = new HandlerResponse(ctx.res, ctx, () => {
        // A stream is started: return now so the App can pump it while the Handler writes.
        isStarted = true;
        resolve();
      });
      let r: void | Promise<void>;
      try {
        r = handler(ctx.req, w);
      } catch (err) {
        reject(err);
        return;
      }
      Promise.resolve(r).then(
        () => {
          nexts.delete(ctx.req);
          // Like Go: a Handler that returns has finished its response.
          if (w.headersSent && !w.finished) w.end();
          resolve();
        },
        (err: unknown) => {
          nexts.delete(ctx.req);
          if (isStarted) w.fail(err);
          else reject(err);
        },
      );
    });
  };
}
