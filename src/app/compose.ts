/**
 * The one compose function for `(ctx, next)` middleware (Koa/Hono style).
 *
 * Owns the `Middleware` and `Next` types and the rules of a chain: each function
 * may call `next()` at most once (a second call rejects with
 * `NextCalledTwiceError`), a sync throw or a rejected promise anywhere becomes the
 * rejection of the composed call, and `next()` resolves when everything
 * downstream has finished. Must not know about routing, HTTP or errors-to-status
 * (that is http-error.ts).
 */

/** Calls the rest of the chain; resolves when it has finished. */
export type Next = () => Promise<void>;

/**
 * A middleware or route handler: do work, optionally `await next()` to run the
 * rest of the chain, then do more work.
 */
export type Middleware<C> = (ctx: C, next: Next) => void | Promise<void> | unknown;

/** Thrown (as a rejection) when one middleware calls `next()` more than once. */
export class NextCalledTwiceError extends Error {
  /** Stable code. */
  readonly code = 'ERR_NEXT_CALLED_TWICE';
  constructor() {
    super('next() called more than once by the same middleware');
    this.name = 'NextCalledTwiceError';
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Composes middleware into one function `(ctx, next?) => Promise<void>`. The
 * optional `next` given to the composed function runs after the last one.
 *
 * @example
 * const run = compose([logger, auth, handler]);
 * await run(ctx);
 */
export function compose<C>(middleware: ReadonlyArray<Middleware<C>>): (ctx: C, next?: Next) => Promise<void> {
  const fns = middleware.slice();
  for (const fn of fns) if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
  const n = fns.length;
  return function composed(ctx: C, last?: Next): Promise<void> {
    let index = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= index) return Promise.reject(new NextCalledTwiceError());
      index = i;
      if (i === n) {
        if (last === undefined) return RESOLVED;
        try {
          return Promise.resolve(last());
        } catch (err) {
          return Promise.reject(err);
        }
      }
      try {
        return Promise.resolve(fns[i]!(ctx, () => dispatch(i + 1))).then(() => undefined);
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
