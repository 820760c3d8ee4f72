/**
 * session(): server-side sessions behind a signed session-id cookie (issue #16 item 4).
 *
 * Owns the session life cycle: the cookie (signed with the App `keys`, HttpOnly,
 * SameSite=Lax, Secure and `__Host-`-prefixed over https), `ctx.session` with lazy
 * loading, rolling (`idleTimeoutMs`) and absolute (`absoluteTimeoutMs`) expiry,
 * saving after `await next()` only when the data changed or the expiry must roll,
 * `regenerate()` (new id, old record destroyed: session fixation, OWASP Session
 * Management Cheat Sheet) and `destroy()`. Also the `SessionStore` contract that
 * stores (memory here, SQL in src/db/session-store.ts) fulfil.
 *
 * Theory of operation: the middleware only reads the cookie's name; nothing touches
 * the store until the handler calls a `ctx.session` method (a page that never uses
 * the session costs no store round trip). The id is 256 random bits; the store is
 * keyed by its SHA-256, not the id itself, so a leaked store (a backup, a SQL
 * injection elsewhere) yields no cookie that works. A visitor who never stores
 * anything gets no cookie and no record.
 * Must not: trust an unsigned or expired id (a fresh session starts instead), keep
 * the record of an id replaced by `regenerate()`, or save when the chain threw (a
 * half-done request leaves the session as it was; `regenerate()`/`destroy()` have
 * already acted on the store).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from '../server/handler.js';
import type { Middleware, Next } from './compose.js';
import { Context } from './context.js';

/** A session record as a store keeps it. `data` is JSON-serialisable. */
export interface StoredSession {
  /** The values set through `ctx.session.set()`. */
  readonly data: Readonly<Record<string, unknown>>;
  /** When the session began (ms since the epoch): the start of the absolute timeout. */
  readonly createdMs: number;
  /** When the record expires (ms since the epoch); a store must not return it from then on. */
  readonly expiresMs: number;
}

/**
 * Where sessions live. Keys are opaque strings (the SHA-256 of the cookie's id,
 * base64url). Every method may reject; the rejection becomes a 500. A store must
 * bound its own size (see `memorySessionStore`'s `maxSessions`, or the SQL store's
 * expiry cleanup).
 */
export interface SessionStore {
  /** The record under `key`, or undefined when absent or expired. */
  get(key: string): Promise<StoredSession | undefined>;
  /** Creates or replaces the record under `key`. */
  set(key: string, session: StoredSession): Promise<void>;
  /** Moves the expiry of an existing record (rolling expiry without rewriting the data). */
  touch(key: string, expiresMs: number): Promise<void>;
  /** Deletes the record under `key` (absent is not an error). */
  destroy(key: string): Promise<void>;
}

/** Default idle (rolling) timeout: 30 minutes (OWASP: 15-30 min for ordinary apps). */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** Default absolute timeout: 7 days, then a new session (and sign-in) is needed whatever the activity. */
export const DEFAULT_SESSION_ABSOLUTE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Default least time between two expiry refreshes of an unchanged session: 1 minute, so a
 * busy visitor costs one store write a minute, not one per request (connect-mongo's `touchAfter`).
 */
export const DEFAULT_SESSION_TOUCH_INTERVAL_MS = 60 * 1000;
/** Default cookie name (`__Host-keel_sid` over https). */
export const DEFAULT_SESSION_COOKIE = 'keel_sid';
/** Bytes of randomness in a session id: 256 bits, well over OWASP's 64-bit minimum entropy. */
export const SESSION_ID_BYTES = 32;

const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Options of {@link session}. */
export interface SessionOptions {
  /** Where records live. Required: `memorySessionStore()` for one process, `sqlSessionStore(db)` (keel/db) to share. */
  readonly store: SessionStore;
  /** Cookie name; over https it becomes `__Host-<name>` (Secure, Path=/, no Domain: RFC 6265bis §4.1.3.2). Default `keel_sid`. */
  readonly cookieName?: string;
  /** Idle timeout: a session unused this long expires (rolling). Default 30 min. */
  readonly idleTimeoutMs?: number;
  /** Absolute timeout from the session's creation (or last `regenerate()`), whatever the activity. Default 7 days. */
  readonly absoluteTimeoutMs?: number;
  /** Least time between expiry refreshes of an unchanged session. Default 1 min. 0 refreshes on every use. */
  readonly touchIntervalMs?: number;
  /** `SameSite` of the cookie. Default `Lax` (top-level navigations keep the session; cross-site POSTs do not). */
  readonly sameSite?: 'Lax' | 'Strict';
  /**
   * Whether the client used https, for `Secure` and the `__Host-` prefix. Default: the
   * connection's (`req.isSecure`). Behind a TLS-terminating proxy pass the trusted proxy's report.
   */
  readonly isHttps?: (req: Request) => boolean;
  /** The clock (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

/** The session of one request, as `ctx.session`. Every method loads the record on first use. */
export interface Session {
  /** A value, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Sets a value (JSON-serialisable); the session is saved after the chain. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes a value. */
  delete(key: string): Promise<void>;
  /**
   * Gives the session a new id, keeping its data, and destroys the old record: call it when
   * the privilege changes (sign-in) so an id an attacker planted beforehand is worthless.
   * The absolute timeout starts again.
   */
  regenerate(): Promise<void>;
  /** Deletes the record now and clears the cookie after the chain; a later `set()` starts a new session. */
  destroy(): Promise<void>;
}

declare module './context.js' {
  interface Context {
    /** The request's session; needs `app.use(session(...))` (throws otherwise). */
    readonly session: Session;
  }
}

const SESSIONS = new WeakMap<object, RequestSession>();

// One getter on the prototype: no per-request cost for apps without sessions.
Object.defineProperty(Context.prototype, 'session', {
  configurable: true,
  get(this: object): Session {
    const s = SESSIONS.get(this);
    if (s === undefined) throw new Error('ctx.session needs the session middleware: app.use(session({ store }))');
    return s;
  },
});

/** The store key for a session id: SHA-256, so the store never holds a working id. */
export function sessionStoreKey(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

function checkMs(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`session: ${name} must be an integer >= ${min}: ${value}`);
  return value;
}

interface Settings {
  store: SessionStore;
  cookieName: string;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  touchIntervalMs: number;
  sameSite: 'Lax' | 'Strict';
  now: () => number;
}

type LoadState = 'unloaded' | 'loaded';

/** One request's session: lazy load, change tracking, and the save after the chain. */
class RequestSession implements Session {
  readonly #s: Settings;
  readonly #ctx: Context<any, any>;
  readonly #cookie: string;
  readonly #secure: boolean;
  #state: LoadState = 'unloaded';
  #loading: Promise<void> | undefined;
  /** The id from a valid cookie, or a new one; undefined: no session yet. */
  #id: string | undefined;
  #data: Record<string, unknown> = {};
  #createdMs = 0;
  #expiresMs = 0;
  #isChanged = false;
  /** True when the id must be sent in a new cookie (new session or regenerated). */
  #isNewId = false;
  /** True when the request carried a session cookie we must clear (stale, or destroyed). */
  #shouldClear = false;

  constructor(settings: Settings, ctx: Context<any, any>, cookie: string, secure: boolean) {
    this.#s = settings;
    this.#ctx = ctx;
    this.#cookie = cookie;
    this.#secure = secure;
  }

  #load(): Promise<void> {
    if (this.#state === 'loaded') return Promise.resolve();
    return (this.#loading ??= this.#read());
  }

  async #read(): Promise<void> {
    const raw = this.#ctx.cookie(this.#cookie);
    const id = raw === undefined ? undefined : this.#ctx.signedCookie(this.#cookie);
    if (id !== undefined && ID_SHAPE.test(id)) {
      const key = sessionStoreKey(id);
      const rec = await this.#s.store.get(key);
      const now = this.#s.now();
      if (rec !== undefined && rec.expiresMs > now && rec.createdMs + this.#s.absoluteTimeoutMs > now) {
        this.#id = id;
        this.#data = { ...rec.data };
        this.#createdMs = rec.createdMs;
        this.#expiresMs = rec.expiresMs;
      } else if (rec !== undefined) {
        await this.#s.store.destroy(key);
      }
    }
    // A cookie that names no live session (forged, expired, destroyed elsewhere) is cleared.
    this.#shouldClear = raw !== undefined && this.#id === undefined;
    this.#state = 'loaded';
  }

  #begin(): void {
    if (this.#id !== undefined) return;
    this.#id = randomBytes(SESSION_ID_BYTES).toString('base64url');
    this.#createdMs = this.#s.now();
    this.#isNewId = true;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    await this.#load();
    return this.#data[key] as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#load();
    if (value === undefined) return this.delete(key);
    this.#begin();
    this.#data[key] = value;
    this.#isChanged = true;
  }

  async delete(key: string): Promise<void> {
    await this.#load();
    if (!(key in this.#data)) return;
    delete this.#data[key];
    this.#isChanged = true;
  }

  async regenerate(): Promise<void> {
    await this.#load();
    if (this.#id !== undefined && !this.#isNewId) await this.#s.store.destroy(sessionStoreKey(this.#id));
    this.#id = undefined;
    this.#begin();
    this.#isChanged = true;
  }

  async destroy(): Promise<void> {
    await this.#load();
    if (this.#id !== undefined && !this.#isNewId) await this.#s.store.destroy(sessionStoreKey(this.#id));
    this.#shouldClear = this.#shouldClear || this.#ctx.cookie(this.#cookie) !== undefined;
    this.#id = undefined;
    this.#data = {};
    this.#isChanged = false;
    this.#isNewId = false;
  }

  /** After the chain: write the record and the cookie when needed. */
  async save(): Promise<void> {
    if (this.#state !== 'loaded') return; // never used: nothing to do
    const s = this.#s;
    const id = this.#id;
    if (id === undefined) {
      if (this.#shouldClear) this.#ctx.clearCookie(this.#cookie, { secure: this.#secure, sameSite: s.sameSite });
      return;
    }
    const now = s.now();
    // The earlier of the idle and the absolute deadline.
    const expiresMs = Math.min(now + s.idleTimeoutMs, this.#createdMs + s.absoluteTimeoutMs);
    const key = sessionStoreKey(id);
    if (this.#isChanged || this.#isNewId) {
      await s.store.set(key, { data: this.#data, createdMs: this.#createdMs, expiresMs });
    } else if (expiresMs - this.#expiresMs >= s.touchIntervalMs && expiresMs > this.#expiresMs) {
      await s.store.touch(key, expiresMs);
    } else {
      return; // unchanged and recently refreshed: no write, no cookie
    }
    this.#ctx.setCookie(this.#cookie, id, {
      signed: true,
      httpOnly: true,
      sameSite: s.sameSite,
      path: '/',
      secure: this.#secure,
      // The cookie lives as long as the record; each refresh re-sends it (RFC 6265 §4.1.2.2).
      maxAgeSeconds: Math.max(1, Math.ceil((expiresMs - now) / 1000)),
    });
  }
}

/**
 * Server-side sessions: `ctx.session.get/set/delete/regenerate/destroy`, loaded on first use
 * and saved after the rest of the chain returned. Needs the App option `keys` (the id cookie
 * is signed).
 *
 * @example
 * const app = new App({ keys: [process.env.SECRET!] });
 * app.use(session({ store: memorySessionStore() }));
 * app.post('/login', async (ctx) => {
 *   // ... check the password, then:
 *   await ctx.session.regenerate();
 *   await ctx.session.set('user', 'ada');
 *   ctx.redirect('/', 303);
 * });
 * app.get('/', async (ctx) => ctx.text(`hello ${(await ctx.session.get<string>('user')) ?? 'stranger'}`));
 */
export function session(options: SessionOptions): Middleware<Context<any, any>> {
  if (options.store === undefined) throw new TypeError('session: a store is required');
  const settings: Settings = {
    store: options.store,
    cookieName: options.cookieName ?? DEFAULT_SESSION_COOKIE,
    idleTimeoutMs: checkMs('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS, 1000),
    absoluteTimeoutMs: checkMs('absoluteTimeoutMs', options.absoluteTimeoutMs ?? DEFAULT_SESSION_ABSOLUTE_TIMEOUT_MS, 1000),
    touchIntervalMs: checkMs('touchIntervalMs', options.touchIntervalMs ?? DEFAULT_SESSION_TOUCH_INTERVAL_MS, 0),
    sameSite: options.sameSite ?? 'Lax',
    now: options.now ?? Date.now,
  };
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(settings.cookieName) || settings.cookieName.startsWith('__')) {
    throw new TypeError(`session: invalid cookieName ${JSON.stringify(settings.cookieName)} (the __Host- prefix is added over https)`);
  }
  const isHttps = options.isHttps ?? ((req: Request) => req.isSecure);
  return async function sessionMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    const secure = isHttps(ctx.req);
    const s = new RequestSession(settings, ctx, secure ? `__Host-${settings.cookieName}` : settings.cookieName, secure);
    SESSIONS.set(ctx, s);
    await next();
    await s.save();
  };
}
