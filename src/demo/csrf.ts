/**
 * The demo's visitor session and the CSRF protection of its forms, on keel's sessions.
 *
 * Owns the demo's choices for `session()` and the CSRF helpers of src/app/csrf.ts:
 * the store (the SQL store on the demo's database, so every instance of a cluster
 * or of several machines shares the sessions: issue #8), the lifetimes, and the
 * form field's name. The session cookie is signed with the demo's keys (a planted
 * or foreign-key cookie is ignored and replaced: issue #12 item 13), HttpOnly,
 * SameSite=Lax, and over https `__Host-keel_sid` with Secure (RFC 6265bis
 * §4.1.3.2), which a sibling subdomain or a plain-http page cannot set, so a
 * harvested cookie and token pair cannot be planted in a victim's browser either.
 * A form's token is the session's CSRF secret masked afresh per page; a post is
 * refused when `Sec-Fetch-Site` says another site sent it, then unless its token
 * unmasks to the session's secret.
 * Must not: compute a MAC or compare secrets itself (one implementation each:
 * app/cookies.ts, app/csrf.ts), or keep visitor state in process memory.
 */
import { session, type Middleware, type Context } from '../app/index.js';
import type { Database } from '../db/database.js';
import { sessionStoreMigration, sqlSessionStore } from '../db/session-store.js';
import type { Request } from '../server/handler.js';

export { csrfToken, isCrossSiteRequest, isValidCsrfToken } from '../app/index.js';

/** Name of the session cookie on plain http. */
export const SESSION_COOKIE = 'keel_sid';
/** Its name over https: the `__Host-` prefix forbids setting it from elsewhere. */
export const SESSION_COOKIE_HTTPS = `__Host-${SESSION_COOKIE}`;
/** Name of the hidden form field holding the CSRF token. */
export const CSRF_FIELD = 'csrf';
/** Idle timeout of a demo session: a week; it only remembers a name and a CSRF secret. */
export const DEMO_SESSION_IDLE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/** Absolute timeout of a demo session: 30 days, then a fresh one. */
export const DEMO_SESSION_ABSOLUTE_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;
/** The migration of the demo's sessions table (`keel_sessions`). */
export const DEMO_SESSION_MIGRATION = sessionStoreMigration();

/** The session cookie's name for a request made over https or not. */
export function sessionCookieName(isHttps: boolean): string {
  return isHttps ? SESSION_COOKIE_HTTPS : SESSION_COOKIE;
}

/** The demo's session middleware: sessions in the database, `Secure` as the client's scheme says. */
export function demoSession(db: Database, isHttps: (req: Request) => boolean, now: () => number): Middleware<Context<any, any>> {
  return session({
    store: sqlSessionStore(db, { now }),
    cookieName: SESSION_COOKIE,
    idleTimeoutMs: DEMO_SESSION_IDLE_TIMEOUT_MS,
    absoluteTimeoutMs: DEMO_SESSION_ABSOLUTE_TIMEOUT_MS,
    isHttps,
    now,
  });
}

/** HMAC keys of the session cookie (the App `keys`): the first signs, every one verifies (rotation). */
export type CsrfKeys = readonly (string | Buffer)[];
