/**
 * App: the framework's front door, itself a Handler (`app.handler`).
 *
 * Owns route registration (`get/post/.../all/on`), middleware (`use`), mounting
 * (`route`/`mount`), the request lifecycle (docs/lifecycle.md), automatic
 * HEAD/OPTIONS/405 (RFC 9110 §9.3.2, §9.3.7, §15.5.6), and the in-memory and
 * socket entry points (`request`, `fetch`, `listen`).
 * Must not: import server/ values except through listen.ts; parse bytes (the
 * server did); allocate per request beyond the Context when it can avoid it.
 * Sync handlers run without creating a promise; a chain is composed once, at
 * registration, never per request.
 */
import type { Handler, Request, ResponseWriter } from '../server/handler.js';
import { composeChain, isPending, NOOP_NEXT, type Middleware, type Next } from './compose.js';
import { commitResponse, Context, type ContextConfig } from './context.js';
import { HttpError, sendError } from './http-error.js';
import { normalizePath } from '../wire/path.js';
import { canonicalPrefix, pathBelowPrefix } from '../wire/mount-prefix.js';
import { runFetchRequest } from './inject.js';
import { startServer, type ListenOptions, type RunningServer } from './listen.js';
import type { FormOptions, JsonOptions, RawOptions } from './body.js';
import type { MultipartOptions } from './multipart.js';
import { RadixRouter } from './router/radix.js';
import { ANY_METHOD, type PathParams, type Router } from './router/router.js';
import { webSocketRoute, type WsRoute } from './websocket.js';

/** A route handler or middleware, typed by its params and state. */
export type RouteHandler<P extends object = Record<string, string>, S extends object = Record<string, unknown>> = Middleware<Context<P, S>>;

/** What the router stores: the route's handlers composed into one function. */
type Compiled = (ctx: Context<any, any>, next: Next) => unknown;

/** Options of an App (every limit documented in docs/app.md). */
export interface AppOptions {
  /** Development mode: error responses show messages and stacks. Default false. */
  dev?: boolean;
  /** Secrets for signed cookies; the first signs, all verify (rotate by prepending). */
  keys?: readonly (string | Buffer)[];
  /** The router implementation. Default a new `RadixRouter`. */
  router?: Router<Compiled>;
  /** Limits of `ctx.readJson()`. */
  json?: JsonOptions;
  /** Limits of `ctx.readForm()`. */
  form?: FormOptions;
  /** Limits of `ctx.readRaw()`. */
  raw?: RawOptions;
  /** Storage and limits of `ctx.readMultipart()`. */
  multipart?: MultipartOptions;
  /**
   * Called with every error that reached the error mapping, before the response
   * is written (for logging). Default: log 5xx errors to stderr.
   */
  onError?: (err: unknown, ctx: Context<any, any>) => void;
}

function defaultOnError(err: unknown): void {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status !== 'number' || status >= 500) console.error('keel app error:', err);
}

/** A use()/route() prefix in the one canonical form (src/wire/mount-prefix.ts): "" is the root. */
function appPrefix(prefix: string): string {
  // Written in the router's terms (decoded, like route paths), so not run through normalizePath.
  if (prefix[0] !== '/') throw new TypeError(`prefix must start with "/": ${prefix}`);
  return canonicalPrefix(prefix);
}

type Handlers<P extends string, S extends object> = Array<RouteHandler<PathParams<P>, S>>;
/** A route method of App (`app.get(path, ...handlers)`): `on` with its method. */
type RouteMethod<Self, S extends object> = <P extends string>(path: P, ...handlers: Handlers<P, S>) => Self;

/**
 * A web application: routes, middleware and error mapping, usable as a keel
 * Handler (`app.handler`), in memory (`app.request`, `app.fetch`) or on a socket
 * (`app.listen`).
 *
 * @example
 * const app = new App();
 * app.get('/hello/:name', (ctx) => ctx.text(`Hello, ${ctx.params.name}!`));
 * const server = await app.listen(8000);
 */
export class App<S extends object = Record<string, unknown>> {
  /** The App as a keel Handler: `new Server(app.handler)`. Bound; safe to pass around. */
  readonly handler: Handler;
  #router: Router<Compiled>;
  #middleware: Array<Middleware<Context<any, S>>> = [];
  /** The composed middleware chain ending in the router; rebuilt lazily after use(). */
  #chain: ((ctx: Context<any, S>, last: (ctx: Context<any, S>) => unknown) => unknown) | undefined;
  /** Routing as the chain's last step; made once so a request allocates no closure for it. */
  readonly #dispatchLast = (ctx: Context<any, S>): unknown => this.#dispatch(ctx);
  #config: ContextConfig;
  #dev: boolean;
  #onError: (err: unknown, ctx: Context<any, any>) => void;

  constructor(options: AppOptions = {}) {
    this.#router = options.router ?? new RadixRouter<Compiled>();
    this.#config = {
      keys: options.keys,
      json: options.json ?? {},
      form: options.form ?? {},
      raw: options.raw ?? {},
      multipart: options.multipart ?? {},
    };
    this.#dev = options.dev === true;
    this.#onError = options.onError ?? defaultOnError;
    this.handler = (req, res) => this.#handle(req, res);
  }

  /**
   * A WebSocket route (issue #15): a GET route whose request, once the app's middleware has
   * run on it, is upgraded to a WebSocket (see src/app/websocket.ts).
   * @example
   * app.ws('/echo/:room', { message: (ws, data) => ws.send(`${ws.data.params.room}: ${data}`) });
   */
  ws<P extends string, T = undefined>(path: P, route: WsRoute<PathParams<P>, S, T>): this {
    return this.on('GET', path, webSocketRoute(route) as RouteHandler<PathParams<P>, S>);
  }

  /** Adds a route for any method list or custom method (e.g. `PROPFIND`). */
  on<P extends string>(method: string | readonly string[], path: P, ...handlers: Handlers<P, S>): this {
    if (handlers.length === 0) throw new TypeError('a route needs at least one handler');
    let fn = handlers[0] as Compiled;
    if (handlers.length > 1) {
      const chain = composeChain(handlers as Array<Middleware<Context<any, S>>>);
      // The router's `next` (NOOP_NEXT) ends the chain: a last handler's next() runs nothing.
      fn = (ctx, next) => chain(ctx, next);
    }
    for (const m of typeof method === 'string' ? [method] : method) this.#router.add(m, path, fn);
    return this;
  }

  // The route methods: `on` with one method each, added to the prototype below (ROUTE_METHODS).
  /** GET route (also answers HEAD). */
  declare get: RouteMethod<this, S>;
  /** POST route. */
  declare post: RouteMethod<this, S>;
  /** PUT route. */
  declare put: RouteMethod<this, S>;
  /** PATCH route. */
  declare patch: RouteMethod<this, S>;
  /** DELETE route. */
  declare delete: RouteMethod<this, S>;
  /** HEAD route (overrides the automatic HEAD of a GET route). */
  declare head: RouteMethod<this, S>;
  /** OPTIONS route (overrides the automatic OPTIONS answer). */
  declare options: RouteMethod<this, S>;
  /** A route for every method (an exact-method route on the same path wins). */
  declare all: RouteMethod<this, S>;

  /**
   * Adds middleware that runs for every request, in registration order, before
   * routing; with a prefix, only for paths at or below it.
   *
   * @example
   * app.use(async (ctx, next) => { const t = Date.now(); await next(); console.log(Date.now() - t) });
   * app.use('/admin', requireLogin);
   */
  use(...args: [Middleware<Context<any, S>>, ...Middleware<Context<any, S>>[]] | [string, ...Middleware<Context<any, S>>[]]): this {
    let fns = args as Middleware<Context<any, S>>[];
    if (typeof args[0] === 'string') {
      const prefix = appPrefix(args[0]);
      fns = (args.slice(1) as Middleware<Context<any, S>>[]).map(
        (fn) => (ctx: Context<any, S>, next: Next) => (pathBelowPrefix(ctx.path, prefix) !== undefined ? fn(ctx, next) : next()),
      );
    }
    for (const fn of fns) if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    this.#middleware.push(...fns);
    this.#chain = undefined;
    return this;
  }

  /**
   * Mounts a sub-app under a prefix: requests at or below it run the sub-app's
   * middleware and routes with `ctx.path` relative to the prefix. The sub-app
   * keeps its own 404/405; errors are mapped by this (the outer) app.
   *
   * @example
   * const api = new App().get('/users', listUsers);
   * app.route('/api', api); // GET /api/users
   */
  route(prefix: string, sub: App<any>): this {
    const p = appPrefix(prefix);
    const mounted: Compiled = (ctx) => {
      const outer = ctx.path;
      // The router only sends paths at or below p here.
      const rest = pathBelowPrefix(outer, p) ?? outer;
      ctx.path = rest === '' ? '/' : rest;
      const restore = (): void => {
        ctx.path = outer;
      };
      let r: unknown;
      try {
        r = sub.#run(ctx as Context<any, any>);
      } catch (err) {
        restore();
        throw err;
      }
      if (isPending(r)) return Promise.resolve(r).finally(restore);
      restore();
      return r;
    };
    if (p === '') this.#router.add(ANY_METHOD, '/*', mounted);
    else {
      this.#router.add(ANY_METHOD, p, mounted);
      this.#router.add(ANY_METHOD, `${p}/*`, mounted);
    }
    return this;
  }

  /** Alias of {@link App.route}. */
  mount(prefix: string, sub: App<any>): this {
    return this.route(prefix, sub);
  }

  /** Runs middleware then routing for a context; returns a promise only if something was async. */
  #run(ctx: Context<any, S>): unknown {
    if (this.#middleware.length === 0) return this.#dispatch(ctx);
    this.#chain ??= composeChain<Context<any, S>>(this.#middleware);
    return this.#chain(ctx, this.#dispatchLast);
  }

  /** Routing: the matched handler, or the automatic OPTIONS, 405 or 404. */
  #dispatch(ctx: Context<any, S>): unknown {
    const req = ctx.req;
    const m = this.#router.match(req.method, ctx.path);
    if (m.handler !== undefined) {
      ctx.params = m.params;
      return m.handler(ctx, NOOP_NEXT);
    }
    if (req.method === 'OPTIONS') {
      // RFC 9110 §9.3.7: OPTIONS * asks about the server; OPTIONS /path about a resource.
      const allow = req.target === '*' ? this.#router.allMethods() : m.allow;
      if (allow !== undefined) {
        // Not written here: middleware after next() (cors(), say) may still shape it.
        ctx.status(204).header('allow', allow);
        ctx.body = null;
        return undefined;
      }
    }
    if (m.allow !== undefined) {
      // RFC 9110 §15.5.6: 405 MUST carry Allow.
      throw new HttpError(405, 'Method Not Allowed', { code: 'ERR_METHOD_NOT_ALLOWED', headers: { allow: m.allow } });
    }
    throw new HttpError(404, 'Not Found', { code: 'ERR_NOT_FOUND' });
  }

  #handle(req: Request, res: ResponseWriter): void | Promise<void> {
    const ctx = new Context<any, S>(req, res, this.#config, EMPTY);
    // Routing sees the path the file layer sees (issue #5): decoded once, dot segments
    // removed, encoded separators and invalid UTF-8 refused, by the one normalizer.
    const path = req.path === '*' ? '*' : normalizePath(req.path);
    if (path === null) {
      this.#fail(ctx, new HttpError(400, 'Bad Request', { code: 'ERR_BAD_PATH' }));
      return;
    }
    ctx.path = path;
    let r: unknown;
    try {
      r = this.#run(ctx);
    } catch (err) {
      this.#fail(ctx, err);
      return;
    }
    if (isPending(r)) {
      return Promise.resolve(r).then(
        () => this.#commit(ctx),
        (err: unknown) => this.#fail(ctx, err),
      );
    }
    return this.#commit(ctx);
  }

  /**
   * The chain is done: the response it shaped goes out now (docs/lifecycle.md). A handler
   * that wrote nothing still answers: its status (default 200), empty body (like Go).
   */
  #commit(ctx: Context<any, S>): void | Promise<void> {
    let r: void | Promise<void>;
    try {
      r = commitResponse(ctx);
    } catch (err) {
      this.#fail(ctx, err);
      return;
    }
    if (r !== undefined) return r.catch((err: unknown) => this.#fail(ctx, err));
  }

  #fail(ctx: Context<any, S>, err: unknown): void {
    try {
      this.#onError(err, ctx);
    } catch {
      // A failing logger must not stop the error response.
    }
    sendError(ctx.req, ctx.res, err, { dev: this.#dev });
  }

  /**
   * Runs a request through the app in memory (no socket) and returns the
   * WHATWG Response. `input` is a path (`/users/1`), a URL, or a Request.
   *
   * @example
   * const res = await app.request('/users/1');
   * assert.equal(res.status, 200);
   */
  request(input: string | URL | globalThis.Request, init?: RequestInit): Promise<Response> {
    const request =
      input instanceof globalThis.Request
        ? init === undefined
          ? input
          : new globalThis.Request(input, init)
        : new globalThis.Request(typeof input === 'string' && input.startsWith('/') ? `http://localhost${input}` : input, init);
    return this.fetch(request);
  }

  /** The app as a WHATWG fetch handler: `(Request) => Promise<Response>`. */
  fetch = (request: globalThis.Request): Promise<Response> => runFetchRequest(this.handler, request);

  /**
   * Starts a keel Server for this app. Binds 127.0.0.1 unless `host` says otherwise.
   *
   * @example
   * const server = await app.listen(8000);
   * console.log(server.port); await server.close();
   */
  listen(port = 0, host?: string, options: Omit<ListenOptions, 'port' | 'host'> = {}): Promise<RunningServer> {
    return startServer(this.handler, { ...options, port, host });
  }
}

const EMPTY: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/** Each route method of App and the method it routes (`all`: any method). */
const ROUTE_METHODS = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  head: 'HEAD',
  options: 'OPTIONS',
  all: ANY_METHOD,
} as const;
for (const [name, method] of Object.entries(ROUTE_METHODS)) {
  // A method on the prototype, as a class method would be (writable, configurable, not enumerable).
  Object.defineProperty(App.prototype, name, {
    value(this: App, path: string, ...handlers: Handlers<string, Record<string, unknown>>): App {
      return this.on(method, path, ...handlers);
    },
    writable: true,
    configurable: true,
  });
}
