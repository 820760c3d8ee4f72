/**
 * A bound on the zlib operations of WebSocket connections running at once (issue #15).
 *
 * Owns one counting semaphore with a FIFO wait queue. Each permessage-deflate
 * compress or inflate call of any connection takes a slot for as long as zlib
 * works on it (CPU on libuv's thread pool, never a wait on a peer), so waiting
 * is bounded and queueing is safe, unlike the HTTP compression streams of
 * handlers/compression.ts, which hold a slot while their client reads. Without
 * a bound, thousands of connections each starting zlib work at once allocate
 * their buffers all together: ws measured 2.9 GB before adding its limit of 10
 * and 90 MB after. It does no zlib work itself.
 */

/** Default slots: 10, ws's `concurrencyLimit` for permessage-deflate. */
export const DEFAULT_WS_MAX_CONCURRENT_ZLIB_OPS = 10;

/** Runs async jobs at most `max` at a time, in the order they were submitted. */
export class ZlibLimiter {
  readonly #max: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** `maxConcurrentZlibOps`: jobs running at once, at least 1. */
  constructor(maxConcurrentZlibOps: number = DEFAULT_WS_MAX_CONCURRENT_ZLIB_OPS) {
    if (!Number.isInteger(maxConcurrentZlibOps) || maxConcurrentZlibOps < 1) {
      throw new RangeError(`maxConcurrentZlibOps must be a positive integer: ${maxConcurrentZlibOps}`);
    }
    this.#max = maxConcurrentZlibOps;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `job` once a slot is free; the slot is given back when its promise settles. */
  run<R>(job: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const start = (): void => {
        this.#running++;
        let p: Promise<R>;
        try {
          p = job();
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(resolve, reject).finally(() => {
          this.#running--;
          this.#waiting.shift()?.();
        });
      };
      if (this.#running < this.#max) start();
      else this.#waiting.push(start);
    });
  }
}

/** The limiter every WebSocket uses unless given its own: the bound is per process. */
export const defaultZlibLimiter = new ZlibLimiter();
