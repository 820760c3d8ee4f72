/**
 * cors(): the App's CORS middleware (issue #16 item 3).
 *
 * Owns only the middleware face: the policy and the fields are src/semantics/cors.ts,
 * shared with `withCors()` (keel serve --cors). Must not answer anything but preflights.
 */
import { corsFields, corsPolicy, type CorsOptions } from '../semantics/cors.js';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';

export { DEFAULT_CORS_MAX_AGE_SECONDS, DEFAULT_CORS_METHODS, withCors, type CorsOptions, type CorsOrigin } from '../semantics/cors.js';

/**
 * CORS middleware: allowed origins get `Access-Control-Allow-Origin` (and credentials,
 * exposed headers) on every response, errors included (the fields are set before the
 * handler runs); preflights are answered 204 here, without running the routes.
 *
 * @example
 * app.use(cors({ origin: ['https://app.example'], credentials: true, exposeHeaders: ['X-Total'] }));
 * app.use('/public', cors()); // any origin
 */
export function cors(options: CorsOptions = {}): Middleware<Context<any, any>> {
  const policy = corsPolicy(options);
  return function corsMiddleware(ctx: Context<any, any>, next: Next): Promise<void> | void {
    if (corsFields(policy, ctx.req, ctx.res.headers) === 'preflight') {
      ctx.status(204);
      ctx.body = null;
      return;
    }
    return next();
  };
}

