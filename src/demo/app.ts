/**
 * The demo site: the tutorial keel descends from, as one App (issue #7).
 *
 * Owns assembling the site: run the migrations, choose the signing keys
 * (configured, else the secret shared through the database), decide how a
 * request's scheme is known (the connection, or a trusted proxy's report),
 * build the App with its middleware (request-line log, security headers, the
 * 404 page) and controllers, and stop long-lived streams on shutdown. Takes an open
 * `Database`; opening and closing it is the caller's job (src/cli/demo.ts).
 * Must not keep visitor state in memory: it lives in the database, so several
 * instances can share one PostgreSQL (issue #8).
 */
import { App } from '../app/index.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import type { Request } from '../server/handler.js';
import { filesRoutes } from './controllers/files.js';
import { guestbookRoutes } from './controllers/guestbook.js';
import { homeRoutes } from './controllers/home.js';
import { inspectRoutes } from './controllers/inspect.js';
import { notFoundPage } from './controllers/not-found.js';
import { timeRoutes } from './controllers/time.js';
import type { DemoDeps } from './controllers/deps.js';
import { DEMO_SESSION_MIGRATION, demoSession } from './csrf.js';
import { DEFAULT_MAX_LIVE_SOCKETS } from './live.js';
import { DEMO_MIGRATIONS } from './migrations.js';
import { DEFAULT_PAGE_SIZE, Guestbook } from './models/guestbook.js';
import { getOrCreateSecret } from './models/settings.js';
import { demoPaths, type DemoPaths } from './paths.js';
import { securityHeaders } from './security.js';

export { DEMO_CSP, FILES_CSP } from './security.js';
export { DEFAULT_MAX_LIVE_SOCKETS } from './live.js';

/** Default time between live-clock events: once a second, like a clock. */
export const DEFAULT_CLOCK_INTERVAL_MS = 1_000;
/** Default most live-clock streams at once: each holds a connection and a timer. */
export const DEFAULT_MAX_CLOCK_STREAMS = 1_000;
/** Name of the setting holding the CSRF secret. */
const CSRF_SECRET_SETTING = 'csrf_secret';

/**
 * A request line made safe for a terminal: bytes outside printable ASCII (the
 * parser may admit obs-text, RFC 9112 §3.2) are shown as \xHH, so a request
 * cannot send escape sequences to the operator's terminal.
 */
export function printable(line: string): string {
  return line.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Options of `createDemo()`. */
export interface DemoOptions {
  /** An open database; the demo migrates it. */
  db: Database;
  /** Prints request lines and notices. Default `console.log`. */
  log?: (line: string) => void;
  /** The clock. Default `Date.now`. */
  now?: () => number;
  /** Time between live-clock events. Default `DEFAULT_CLOCK_INTERVAL_MS`. */
  clockIntervalMs?: number;
  /** Most live-clock streams at once (503 past it). Default `DEFAULT_MAX_CLOCK_STREAMS`. */
  maxClockStreams?: number;
  /** Most WebSockets open at once, guestbook feeds and inspector echoes (503 past it). Default `DEFAULT_MAX_LIVE_SOCKETS`. */
  maxLiveSockets?: number;
  /** Guestbook entries per page. Default `DEFAULT_PAGE_SIZE`. */
  pageSize?: number;
  /** Asset directories. Default: found from the package root (paths.ts). */
  paths?: DemoPaths;
  /**
   * Keys of the signed session cookie (HMAC-SHA256; the CSRF tokens are bound to the session): the first signs,
   * every one verifies, so a key is rotated by putting the new one first. Every
   * process serving the site must be given the same list. Default: one random
   * secret created the first time in the database's `settings` table and read
   * back by every later start, every worker and every machine on that database.
   */
  keys?: readonly (string | Buffer)[];
  /**
   * The scheme the client used, for the session cookie's `Secure` attribute and `__Host-` name. Default: the
   * connection's (`req.isSecure`). Behind a TLS-terminating reverse proxy pass
   * the proxy's report, believed only from proxies you trust:
   * `(req) => clientInfo(req, { trustedProxies: ['127.0.0.1'] }).protocol`
   * (`clientInfo` from keel, src/server/trusted-proxy.ts).
   */
  clientProtocol?: (req: Request) => 'http' | 'https';
}

/** A built demo site. */
export interface Demo {
  /** The site as an App (`demo.app.handler` is a keel Handler). */
  app: App;
  /** Migrations applied by this start ([] when the schema was current). */
  migrated: string[];
  /** Ends open live-clock streams so a graceful server close can finish. */
  stopStreams(): void;
}

/**
 * Builds the demo site on an open database.
 *
 * @example
 * const db = await openDatabase({ url: process.env.DATABASE_URL });
 * const demo = await createDemo({ db });
 * const server = await demo.app.listen(8000);
 */
export async function createDemo(options: DemoOptions): Promise<Demo> {
  const { db } = options;
  if (options.keys !== undefined && (options.keys.length === 0 || options.keys.some((k) => k.length === 0))) {
    throw new TypeError('createDemo: keys must hold at least one key, and no empty one');
  }
  // The sessions table after the demo's own: its id is recorded like theirs, once.
  const migrated = await migrate(db, [...DEMO_MIGRATIONS, DEMO_SESSION_MIGRATION]);
  const keys = options.keys ?? [await getOrCreateSecret(db, CSRF_SECRET_SETTING)];
  const clientProtocol = options.clientProtocol ?? ((req: Request) => (req.isSecure ? 'https' : 'http'));
  const log = options.log ?? ((line: string) => console.log(line));
  const deps: DemoDeps = {
    db,
    guestbook: new Guestbook(db, { pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE }),
    keys,
    isHttps: (req) => clientProtocol(req) === 'https',
    paths: options.paths ?? demoPaths(),
    log,
    reportError: (err) => {
      const status = (err as { status?: unknown } | null)?.status;
      // Expected refusals (4xx, and 503 for too many clocks) are one log line; anything else is a bug: full stack.
      if (typeof status === 'number' && (status < 500 || status === 503)) {
        const code = (err as { code?: unknown }).code;
        log(`error ${status}${typeof code === 'string' ? ` ${code}` : ''}`);
      } else console.error('keel demo: error:', err);
    },
    now: options.now ?? Date.now,
    clockIntervalMs: options.clockIntervalMs ?? DEFAULT_CLOCK_INTERVAL_MS,
    maxClockStreams: options.maxClockStreams ?? DEFAULT_MAX_CLOCK_STREAMS,
    streams: new Set(),
    liveSockets: new Set(),
    guestbookFeeds: new Set(),
    maxLiveSockets: options.maxLiveSockets ?? DEFAULT_MAX_LIVE_SOCKETS,
  };

  // The App's keys sign the session cookie, which carries the visitor's name and CSRF secret (csrf.ts).
  const app = new App({ keys, onError: (err) => deps.reportError(err) });
  // The tutorial's first lesson: print each request line as it arrives.
  app.use((ctx, next) => {
    deps.log(printable(`${ctx.req.method} ${ctx.req.target} HTTP/${ctx.req.version}`));
    return next();
  });
  app.use(securityHeaders());
  // Lazy: a page that never calls ctx.session costs no database round trip.
  app.use(demoSession(db, deps.isHttps, deps.now));
  app.use(notFoundPage(deps));
  homeRoutes(app, deps);
  timeRoutes(app, deps);
  guestbookRoutes(app, deps);
  filesRoutes(app, deps);
  inspectRoutes(app, deps);

  return {
    app,
    migrated,
    stopStreams() {
      for (const stop of [...deps.streams]) stop();
    },
  };
}
