/**
 * Server-Sent Events (WHATWG HTML §9.2, "Server-sent events"; issue #16 item 6): the
 * `text/event-stream` format and `SseStream`, the body `ctx.sse()` sends.
 *
 * Owns the event-stream serialization (`event:`, `id:`, `retry:` and one `data:` line per
 * line of data, split on CRLF, LF or CR as the spec's parser splits them), heartbeat
 * comments, backpressure (a `send()` resolves once the socket took the event and can take
 * more) and the end of a stream: `close()` by the application, the producer returning,
 * or the client leaving (the response's onClose), which aborts `signal`.
 * Must not: write to the socket itself (the App pumps the stream after the chain, like any
 * streamed body, so middleware still shapes the head), buffer without bound (a heartbeat
 * is skipped while events wait; an event that cannot be framed throws instead of being
 * sent broken), or keep a timer alive once the stream ended.
 *
 * Theory of operation: the stream is an async iterable of strings. The App's pump pulls
 * one chunk, writes it and waits for `drain()` before pulling the next; the stream
 * resolves a `send()` promise when the pump comes back for more, so `await stream.send()`
 * paces a producer to the client. The producer function, when given, starts on the first
 * pull: at that point the head is going out, and awaiting a send inside it cannot deadlock
 * the chain (a handler that awaited a send before returning would wait for a pump that
 * only starts after it returns).
 */
import type { ResponseWriter } from '../server/handler.js';

/**
 * Default interval between heartbeat comments, in ms. The HTML standard (§9.2.7) suggests
 * a comment "every 15 seconds or so" against proxies that drop idle connections.
 */
export const DEFAULT_SSE_HEARTBEAT_INTERVAL_MS = 15_000;

/** One event. `data` may hold newlines: each line becomes a `data:` line, joined again by the client. */
export interface SseEvent {
  /** The event's data (the `MessageEvent.data` the client sees). */
  data?: string;
  /** The event type (`addEventListener(type)`); default "message" on the client. No CR or LF. */
  event?: string;
  /** The event id, sent back by a reconnecting client as `Last-Event-ID`. No CR, LF or NUL. */
  id?: string;
  /** The reconnection delay the client should use, in ms (a non-negative integer). */
  retry?: number;
}

/** Options of `ctx.sse()`. */
export interface SseOptions {
  /** Time between heartbeat comments while no event is sent, in ms; 0 sends none. Default `DEFAULT_SSE_HEARTBEAT_INTERVAL_MS` (15 000). */
  heartbeatIntervalMs?: number;
  /** A `retry:` sent first: the client's reconnection delay in ms. Default none (the browser's, about 3 s). */
  retryMs?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

function checkField(name: string, value: string, forbidden: RegExp): void {
  if (forbidden.test(value)) throw new TypeError(`SSE ${name} must not contain a line break${name === 'id' ? ' or NUL' : ''}`);
}

function checkRetry(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new TypeError(`SSE retry must be a non-negative integer of ms: ${ms}`);
}

/**
 * Serializes one event in the event-stream format, ending with the blank line that
 * dispatches it. A string is the data of a "message" event. Throws a TypeError on a line
 * break in `event` or `id` (it would start a new field), a NUL in `id` (the client would
 * ignore it), or a `retry` that is not a non-negative integer.
 */
export function formatSseEvent(input: SseEvent | string): string {
  const ev = typeof input === 'string' ? { data: input } : input;
  let out = '';
  if (ev.event !== undefined) {
    checkField('event', ev.event, /[\r\n]/);
    out += `event: ${ev.event}\n`;
  }
  if (ev.id !== undefined) {
    checkField('id', ev.id, /[\r\n\0]/);
    out += `id: ${ev.id}\n`;
  }
  if (ev.retry !== undefined) {
    checkRetry(ev.retry);
    out += `retry: ${ev.retry}\n`;
  }
  // The parser strips one space after the colon, so a line's own leading spaces survive.
  if (ev.data !== undefined) for (const line of ev.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out + '\n';
}

/** A comment line (ignored by clients): heartbeats, or notes for someone reading the stream. */
function formatComment(text: string): string {
  return text.split(LINE_BREAK).map((line) => `: ${line}\n`).join('') + '\n';
}

interface Queued {
  text: string;
  done: ((written: boolean) => void) | undefined;
}

/** Where a stream is: sending, closed by the application (queued events still go), or over. */
type SseState = 'open' | 'closing' | 'ended';

/**
 * An open event stream, from `ctx.sse()`. `send()` queues an event and resolves `true`
 * once the socket took it and can take more (await it to follow a slow client), or
 * `false` when the stream has ended; `close()` ends it after the queued events; `signal`
 * aborts when it ends, for whatever reason (the client left, most often).
 */
export class SseStream implements AsyncIterable<string> {
  /** The client's `Last-Event-ID` (the id of the last event it saw, on a reconnect), or undefined. */
  readonly lastEventId: string | undefined;
  #state: SseState = 'open';
  #queue: Queued[] = [];
  #wake: (() => void) | undefined;
  #controller = new AbortController();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  readonly #heartbeatIntervalMs: number;
  readonly #producer: ((stream: SseStream) => unknown) | undefined;
  readonly #res: ResponseWriter;

  /** Made by `ctx.sse()`; `res` is watched so the stream ends when the client leaves. */
  constructor(res: ResponseWriter, lastEventId: string | undefined, options: SseOptions = {}, producer?: (stream: SseStream) => unknown) {
    const interval = options.heartbeatIntervalMs ?? DEFAULT_SSE_HEARTBEAT_INTERVAL_MS;
    if (!Number.isSafeInteger(interval) || interval < 0) throw new RangeError(`heartbeatIntervalMs must be a non-negative integer: ${interval}`);
    this.#heartbeatIntervalMs = interval;
    this.#res = res;
    this.#producer = producer;
    this.lastEventId = lastEventId;
    if (options.retryMs !== undefined) {
      checkRetry(options.retryMs);
      this.#queue.push({ text: `retry: ${options.retryMs}\n\n`, done: undefined });
    }
    res.onClose(() => this.#end());
  }

  /** Aborted when the stream ends (client gone, `close()`, producer done). */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the stream no longer accepts events. */
  get closed(): boolean {
    return this.#state !== 'open';
  }

  /** Calls `fn` once when the stream ends (at once if it has). */
  onClose(fn: () => void): void {
    if (this.#controller.signal.aborted) queueMicrotask(fn);
    else this.#controller.signal.addEventListener('abort', fn, { once: true });
  }

  /**
   * Sends an event (a string is the data of a "message" event). Resolves `true` when it
   * was handed to the socket and the socket can take more, `false` if the stream ended
   * first. Throws a TypeError (synchronously) on an event that cannot be framed.
   */
  send(event: SseEvent | string): Promise<boolean> {
    return this.#push(formatSseEvent(event));
  }

  /** Sends a comment line (clients ignore it); resolves as `send()` does. */
  comment(text: string): Promise<boolean> {
    return this.#push(formatComment(text));
  }

  /** Ends the stream once the events already sent are written. */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#stopHeartbeat();
    this.#wakeUp();
  }

  #push(text: string): Promise<boolean> {
    if (this.#state !== 'open') return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#queue.push({ text, done: resolve });
      this.#wakeUp();
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** The stream is over (client gone, response done or failed): drop what waits, wake everyone. */
  #end(): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#stopHeartbeat();
    const queue = this.#queue;
    this.#queue = [];
    for (const q of queue) q.done?.(false);
    this.#wakeUp();
    this.#controller.abort();
  }

  #start(): void {
    // The head goes out now, not with the first event: EventSource reports the connection
    // open (and a proxy starts forwarding) before there is anything to say. The chain is
    // done by the time the App pulls the first chunk, so middleware has shaped the head.
    if (!this.#res.headersSent && !this.#res.closed) this.#res.writeHead(this.#res.status);
    if (this.#heartbeatIntervalMs > 0) {
      this.#heartbeat = setInterval(() => {
        // Only while idle: a heartbeat behind queued events says nothing and costs memory.
        if (this.#queue.length === 0) this.#push(':\n\n').catch(() => undefined);
      }, this.#heartbeatIntervalMs);
      this.#heartbeat.unref?.();
    }
    const producer = this.#producer;
    if (producer === undefined) return;
    Promise.resolve()
      .then(() => producer(this))
      .then(
        () => this.close(),
        (err: unknown) => {
          // The head is out: the only way to say "broken" is to cut the response (the
          // server's onError gets err); EventSource reconnects with Last-Event-ID.
          this.#res.destroy(err);
          this.#end();
        },
      );
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    this.#start();
    try {
      for (;;) {
        const item = this.#queue.shift();
        if (item !== undefined) {
          yield item.text;
          // The pump is back for more: the chunk was written and the socket drained.
          item.done?.(true);
          continue;
        }
        if (this.#state !== 'open') return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // Normal end, or the pump stopped early (client gone): either way the stream is over.
      this.#end();
    }
  }
}
