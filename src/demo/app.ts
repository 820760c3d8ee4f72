/**
 * The demo site: the tutorial keel descends from, as one App (issue #7).
 *
 * Owns assembling the site: run the migrations, read the shared CSRF secret,
 * build the App with its middleware (request-line log, security headers) and
 * controllers, and stop long-lived streams on shutdown. Takes an open
 * `Database`; opening and closing it is the caller's job (src/cli/demo.ts).
 * Must not keep visitor state in memory: it lives in the database, so several
 * instances can share one PostgreSQL (issue #8).
 */
import { App } from '../app/index.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { filesRoutes } from './controllers/files.js';
import { guestbookRoutes } from './controllers/guestbook.js';
import { homeRoutes } from './controllers/home.js';
import { inspectRoutes } from './controllers/inspect.js';
import { timeRoutes } from './controllers/time.js';
import type { DemoDeps } from './controllers/deps.js';
import { DEMO_MIGRATIONS } from './migrations.js';
import { DEFAULT_PAGE_SIZE, Guestbook } from './models/guestbook.js';
import { getOrCreateSecret } from './models/settings.js';
import { demoPaths, type DemoPaths } from './paths.js';

/** Default time between live-clock events: once a second, like a clock. */
export const DEFAULT_CLOCK_INTERVAL_MS = 1_000;
/** Default most live-clock streams at once: each holds a connection and a timer. */
export const DEFAULT_MAX_CLOCK_STREAMS = 1_000;
/** Name of the setting holding the CSRF secret. */
const CSRF_SECRET_SETTING = 'csrf_secret';

/**
 * Content-Security-Policy of the demo's own pages: only same-origin scripts,
 * styles and images, no framing, forms only to ourselves. The views have no
 * inline script or style, so nothing needs 'unsafe-inline'.
 */
export const DEMO_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

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
  /** Guestbook entries per page. Default `DEFAULT_PAGE_SIZE`. */
  pageSize?: number;
  /** Asset directories. Default: found from the package root (paths.ts). */
  paths?: DemoPaths;
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
  const migrated = await migrate(db, DEMO_MIGRATIONS);
  const deps: DemoDeps = {
    db,
    guestbook: new Guestbook(db, { pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE }),
    csrfSecret: await getOrCreateSecret(db, CSRF_SECRET_SETTING),
    paths: options.paths ?? demoPaths(),
    log: options.log ?? ((line) => console.log(line)),
    now: options.now ?? Date.now,
    clockIntervalMs: options.clockIntervalMs ?? DEFAULT_CLOCK_INTERVAL_MS,
    maxClockStreams: options.maxClockStreams ?? DEFAULT_MAX_CLOCK_STREAMS,
    streams: new Set(),
  };

  const app = new App({
    onError: (err) => {
      const status = (err as { status?: unknown } | null)?.status;
      // Expected refusals (4xx, and 503 for too many clocks) are one log line; anything else is a bug: full stack.
      if (typeof status === 'number' && (status < 500 || status === 503)) {
        const code = (err as { code?: unknown }).code;
        deps.log(`error ${status}${typeof code === 'string' ? ` ${code}` : ''}`);
      } else console.error('keel demo: error:', err);
    },
  });
  // The tutorial's first lesson: print each request line as it arrives.
  app.use((ctx, next) => {
    deps.log(printable(`${ctx.req.method} ${ctx.req.target} HTTP/${ctx.req.version}`));
    return next();
  });
  app.use((ctx, next) => {
    const h = ctx.res.headers;
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'same-origin');
    // Static files and CGI output are not our pages: their authors choose their own policy.
    if (!ctx.path.startsWith('/files') && !ctx.path.startsWith('/cgi-bin/')) h.set('Content-Security-Policy', DEMO_CSP);
    return next();
  });
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
