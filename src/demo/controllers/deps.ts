/**
 * What the demo's controllers share: the model, the clock, the log and limits.
 *
 * Owns the `DemoDeps` type only. Built once by src/demo/app.ts; controllers
 * receive it instead of importing singletons, so tests can inject a clock
 * and a log. Holds nothing per visitor: state lives in the database.
 */
import type { Database } from '../../db/database.js';
import type { Guestbook } from '../models/guestbook.js';
import type { DemoPaths } from '../paths.js';

/** The demo's dependencies, passed to every controller. */
export interface DemoDeps {
  db: Database;
  guestbook: Guestbook;
  /** HMAC key of the CSRF tokens, read from the database (shared by all instances). */
  csrfSecret: string;
  paths: DemoPaths;
  /** Where request lines and notices are printed (the terminal by default). */
  log: (line: string) => void;
  /** The clock, ms since the epoch. */
  now: () => number;
  /** Time between two live-clock events. */
  clockIntervalMs: number;
  /** Most live-clock streams open at once. */
  maxClockStreams: number;
  /** Stoppers of the open live-clock streams: shutdown ends them so the server can drain. */
  streams: Set<() => void>;
}
