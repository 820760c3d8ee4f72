/**
 * The one compose function for `(ctx, next)` middleware (Koa/Hono style).
 *
 * Owns the `Middleware` and `Next` types and the rules of a chain: each function
 * may call `next()` at most once (a second call rejects with
 * `NextCalledTwiceError`), a sync throw or a rejected promise anywhere becomes the
 * rejection of the composed call, and `next()` resolves when everything
 * downstream has finished. Must not know about routing, HTTP or errors-to-status
 * (that is http-error.ts).
 *
 * Synchronous chains stay synchronous (issue #18): when a middleware returns `next()`
 * and everything downstream finished synchronously, `next()` returns one shared settled
 * promise that the chain recognises, so the App's chain runs to the end and sends the
 * response in the same tick, with no promise or microtask per request. Only a function
 * that really returns pending work puts the rest of the run on promises.
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

/**
 * The resolved promise every `next()` returns when everything downstream finished
 * synchronously. It is one shared object, so a chain can tell "this middleware returned
 * `next()` and nothing was async" (it returned this very promise) from real pending work,
 * and run to the end without a promise or a microtask per request (issue #18).
 */
const SETTLED: Promise<void> = Promise.resolve();

/** A `next()` that runs nothing (the end of a chain); returns the shared settled promise. */
export const NOOP_NEXT: Next = () => SETTLED;

/**
 * True when `r`, what a middleware or a chain returned, is work still pending: a thenable
 * other than the shared settled promise of a synchronous `next()`.
 */
export function isPending(r: unknown): r is PromiseLike<unknown> {
  return r !== SETTLED && r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function';
}

function toVoid(): void {}

/**
 * One run of a chain over one context. Per request it is this object plus, for each
 * function that runs, the `next` closure handed to it (a `next` may be called after the
 * middleware's own frame has returned, so it must carry its request and position).
 * No promise is made unless something downstream returns one.
 */
class ChainRun<C> {
  /** Highest position started: a `next()` for a position at or below it is a second call. */
  #index = -1;
  readonly #fns: ReadonlyArray<Middleware<C>>;
  readonly #ctx: C;
  readonly #last: ((ctx: C) => unknown) | undefined;

  constructor(fns: ReadonlyArray<Middleware<C>>, ctx: C, last: ((ctx: C) => unknown) | undefined) {
    this.#fns = fns;
    this.#ctx = ctx;
    this.#last = last;
  }

  /** Runs position `i` (`fns.length` is `last`); returns what it returned, throws what it threw. */
  call(i: number): unknown {
    this.#index = i;
    const fns = this.#fns;
    if (i === fns.length) return this.#last === undefined ? undefined : this.#last(this.#ctx);
    return fns[i]!(this.#ctx, () => this.#next(i + 1));
  }

  /** The `next()` given to position `i - 1`: the rest of the chain, as a promise (shared when settled). */
  #next(i: number): Promise<void> {
    if (i <= this.#index) return Promise.reject(new NextCalledTwiceError());
    let r: unknown;
    try {
      r = this.call(i);
    } catch (err) {
      // A sync throw downstream is still a rejection of next(), as documented.
      return Promise.reject(err);
    }
    return isPending(r) ? Promise.resolve(r).then(toVoid) : SETTLED;
  }
}

/**
 * The engine of {@link compose}, for the App's hot path: composes middleware into
 * `(ctx, last?) => undefined | Promise<unknown>`, which returns `undefined` when every
 * function finished synchronously (returned nothing, a non-thenable, or the settled
 * promise of `next()`), and otherwise the pending promise. A sync throw of the first
 * function is thrown; anywhere downstream it is the rejection of the caller's `next()`.
 * `last(ctx)` runs after the last function.
 */
export function composeChain<C>(middleware: ReadonlyArray<Middleware<C>>): (ctx: C, last?: (ctx: C) => unknown) => PromiseLike<unknown> | undefined {
  const fns = middleware.slice();
  for (const fn of fns) if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
  return function run(ctx: C, last?: (ctx: C) => unknown): PromiseLike<unknown> | undefined {
    const r = new ChainRun(fns, ctx, last).call(0);
    return isPending(r) ? r : undefined;
  };
}

/**
 * Composes middleware into one function `(ctx, next?) => Promise<void>`. The
 * optional `next` given to the composed function runs after the last one.
 *
 * @example
 * const run = compose([logger, auth, handler]);
 * await run(ctx);
 */
export function compose<C>(middleware: ReadonlyArray<Middleware<C>>): (ctx: C, next?: Next) => Promise<void> {
  const run = composeChain(middleware);
  return function composed(ctx: C, last?: Next): Promise<void> {
    try {
      const r = run(ctx, last);
      return r === undefined ? SETTLED : Promise.resolve(r).then(toVoid);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
