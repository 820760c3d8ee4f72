/**
 * What the demo's controllers share: the model, the clock, the log and limits.
 *
 * Owns the `DemoDeps` type only. Built once by src/demo/app.ts; controllers
 * receive it instead of importing singletons, so tests can inject a clock
 * and a log. Holds nothing per visitor: state lives in the database.
 */
import type { Database } from '../../db/database.js';
import type { Request } from '../../server/handler.js';
import type { CsrfKeys } from '../csrf.js';
import type { Guestbook } from '../models/guestbook.js';
import type { LiveSocket } from '../live.js';
import type { DemoPaths } from '../paths.js';

/** The demo's dependencies, passed to every controller. */
export interface DemoDeps {
  db: Database;
  guestbook: Guestbook;
  /** Keys of the signed CSRF cookie and tokens (configured, or read from the database: shared by all instances). */
  keys: CsrfKeys;
  /** True when the client reached us over https (directly, or through a trusted TLS proxy). */
  isHttps: (req: Request) => boolean;
  paths: DemoPaths;
  /** Where request lines and notices are printed (the terminal by default). */
  log: (line: string) => void;
  /** Reports an error that became a response: one line for a refusal (4xx, 503), a stack for a bug. */
  reportError: (err: unknown) => void;
  /** The clock, ms since the epoch. */
  now: () => number;
  /** Time between two live-clock events. */
  clockIntervalMs: number;
  /** Most live-clock streams open at once. */
  maxClockStreams: number;
  /** Stoppers of the open live-clock streams: shutdown ends them so the server can drain. */
  streams: Set<() => void>;
  /** Open demo WebSockets of this process (guestbook feeds and inspector echoes), for the limit. */
  liveSockets: Set<LiveSocket>;
  /** Open guestbook feeds of this process: a new entry is sent to each. */
  guestbookFeeds: Set<LiveSocket>;
  /** Most demo WebSockets open at once. */
  maxLiveSockets: number;
}
