/**
 * CSRF protection on top of session() (issue #16 item 4): synchronizer tokens bound to the session.
 *
 * Owns the per-session secret (256 random bits, kept in the session under
 * `CSRF_SESSION_KEY`), the tokens given to pages (the secret masked with a fresh
 * random pad for each token, so the bytes differ on every response and a
 * compression oracle (BREACH) learns nothing across responses), their verification,
 * and the Fetch Metadata check (`Sec-Fetch-Site`). A cross-site page can make the
 * browser send the session cookie but can read neither the token nor the secret.
 * Verification failures are `HttpError(403)` with code `ERR_CSRF`.
 * Must not: accept a token when the session holds no secret, compare without
 * `timingSafeEqual`, or read the request body (a form's token is passed by the
 * handler that parsed the form: `verifyCsrf(ctx, fields.csrf)`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';
import { HttpError } from './http-error.js';
import './session.js'; // ctx.session

/** The session key holding the CSRF secret. */
export const CSRF_SESSION_KEY = '_csrf';
/** Bytes of randomness in a CSRF secret (256 bits). */
export const CSRF_SECRET_BYTES = 32;
/** Default request header `csrf()` reads the token from. */
export const DEFAULT_CSRF_HEADER = 'x-csrf-token';
/** The stable code of a CSRF refusal (status 403). */
export const CSRF_ERROR_CODE = 'ERR_CSRF';

const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{86}$/;
// Methods that must not change state (RFC 9110 §9.2.1), so they need no token.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** The session's CSRF secret, created (and the session saved) on first use. */
async function secretOf(ctx: Context<any, any>): Promise<Buffer> {
  const existing = await ctx.session.get<string>(CSRF_SESSION_KEY);
  if (typeof existing === 'string' && SECRET_SHAPE.test(existing)) return Buffer.from(existing, 'base64url');
  const secret = randomBytes(CSRF_SECRET_BYTES);
  await ctx.session.set(CSRF_SESSION_KEY, secret.toString('base64url'));
  return secret;
}

/**
 * A CSRF token for this request's session, to put in a form's hidden field or a page's
 * `<meta>` for scripts. Each call gives different text for the same secret (masked).
 * Needs `session()`; starts a session when there is none.
 *
 * @example
 * app.get('/post', async (ctx) => ctx.html(html`<form method="post"><input type="hidden" name="csrf" value="${await csrfToken(ctx)}">...`));
 */
export async function csrfToken(ctx: Context<any, any>): Promise<string> {
  const secret = await secretOf(ctx);
  const pad = randomBytes(CSRF_SECRET_BYTES);
  const masked = Buffer.alloc(CSRF_SECRET_BYTES);
  for (let i = 0; i < CSRF_SECRET_BYTES; i++) masked[i] = pad[i]! ^ secret[i]!;
  return Buffer.concat([pad, masked]).toString('base64url');
}

/**
 * True when the browser says another site sent the request (Fetch Metadata,
 * `Sec-Fetch-Site`: `cross-site`, or `same-site`, a sibling subdomain that could also
 * plant cookies). Browsers without Fetch Metadata send nothing and rely on the token.
 */
export function isCrossSiteRequest(secFetchSite: string | undefined): boolean {
  const site = secFetchSite?.trim().toLowerCase();
  return site === 'cross-site' || site === 'same-site';
}

/** True when `token` unmasks to this session's secret; false without a session secret. */
export async function isValidCsrfToken(ctx: Context<any, any>, token: string | undefined): Promise<boolean> {
  if (token === undefined || !TOKEN_SHAPE.test(token)) return false;
  const stored = await ctx.session.get<string>(CSRF_SESSION_KEY);
  if (typeof stored !== 'string' || !SECRET_SHAPE.test(stored)) return false;
  const raw = Buffer.from(token, 'base64url');
  const secret = Buffer.alloc(CSRF_SECRET_BYTES);
  for (let i = 0; i < CSRF_SECRET_BYTES; i++) secret[i] = raw[i]! ^ raw[i + CSRF_SECRET_BYTES]!;
  return timingSafeEqual(secret, Buffer.from(stored, 'base64url'));
}

/**
 * Checks a state-changing request: refuses it with `HttpError(403, ERR_CSRF)` when the
 * browser reports another site (`Sec-Fetch-Site`) or when `token` does not belong to the
 * session. Call it with the form field after reading the form.
 *
 * @example
 * app.post('/post', async (ctx) => {
 *   const fields = await ctx.readForm();
 *   await verifyCsrf(ctx, typeof fields.csrf === 'string' ? fields.csrf : undefined);
 *   // ... the request is the session owner's own
 * });
 */
export async function verifyCsrf(ctx: Context<any, any>, token: string | undefined): Promise<void> {
  // Fetch Metadata first: the browser's own word, and no store round trip.
  const isValid = !isCrossSiteRequest(ctx.req.header('sec-fetch-site')) && (await isValidCsrfToken(ctx, token));
  if (!isValid) throw new HttpError(403, 'Invalid or missing CSRF token', { code: CSRF_ERROR_CODE });
}

/** Options of {@link csrf}. */
export interface CsrfOptions {
  /** Request header carrying the token. Default `x-csrf-token`. */
  readonly header?: string;
}

/**
 * Rejects state-changing requests (every method but GET, HEAD, OPTIONS, TRACE: RFC 9110
 * §9.2.1) whose `X-CSRF-Token` header is not a token of the session, or that a browser
 * reports as cross-site: for `fetch()` and XHR clients. HTML forms cannot send a header:
 * their handler calls `verifyCsrf(ctx, field)` instead, and such routes go on an App (or a
 * mount) without this middleware. Needs `session()` before it.
 *
 * @example
 * app.use(session({ store }));
 * app.use(csrf());
 * app.get('/', async (ctx) => ctx.html(html`<meta name="csrf" content="${await csrfToken(ctx)}">...`));
 * app.post('/api/items', async (ctx) => ctx.json(await create(await ctx.readJson())));
 */
export function csrf(options: CsrfOptions = {}): Middleware<Context<any, any>> {
  const header = (options.header ?? DEFAULT_CSRF_HEADER).toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(header)) throw new TypeError(`csrf: invalid header name ${JSON.stringify(header)}`);
  return async function csrfMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    if (!SAFE_METHODS.has(ctx.req.method)) await verifyCsrf(ctx, ctx.req.header(header));
    await next();
  };
}
