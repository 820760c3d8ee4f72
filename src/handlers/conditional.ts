/**
 * Validators and conditional requests: ETag, HTTP-date and the precondition order (RFC 9110 §13).
 *
 * Owns entity-tag parsing and comparison (strong and weak, §8.8.3.2), HTTP-date
 * parsing and formatting (§5.6.7), and the evaluation order of If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range (§13.2.2).
 * It is pure: no file system, no clock, no response writing. Callers pass the
 * representation's validators and act on the verdict (200/206, 304 or 412).
 */

/** The validators of the selected representation. */
export interface Validators {
  /** The ETag exactly as sent in the response, quotes included, maybe `W/`-prefixed. */
  readonly etag?: string;
  /** Last modification time in ms since the epoch (sub-second part is ignored). */
  readonly lastModifiedMs?: number;
}

/** What a request's preconditions say: go on, answer 304 Not Modified, or 412 Precondition Failed. */
export type PreconditionVerdict = 'proceed' | 304 | 412;

/** A parsed entity-tag: its opaque part (with quotes) and whether it was `W/`. */
interface EntityTag {
  readonly isWeak: boolean;
  readonly opaque: string;
}

const MS_PER_SECOND = 1000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const LONG_DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
/**
 * rfc850-date has a two-digit year. RFC 9110 §5.6.7 resolves it against "now"
 * (more than 50 years ahead means the past century); staying pure (no clock), we
 * pivot at a fixed year instead: 70-99 are 19xx, 00-69 are 20xx, as most stacks do.
 */
const TWO_DIGIT_YEAR_PIVOT = 70;

// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// rfc850-date (obsolete): Sunday, 06-Nov-94 08:49:37 GMT
const RFC850_DATE = /^([A-Z][a-z]{5,8}), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// asctime-date (obsolete): Sun Nov  6 08:49:37 1994
const ASCTIME_DATE = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function toMs(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month);
  if (mon < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, mon, day, h, m, Math.min(s, 59));
  // Reject dates that Date.UTC silently rolls over (Feb 30 -> Mar 2).
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

/**
 * Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7.
 *
 * Returns ms since the epoch, or undefined for anything else: a recipient must
 * ignore a conditional header whose date is invalid (§13.1.3, §13.1.4), so being
 * strict here (unlike `Date.parse`, which reads "0" as the year 2000) is safer.
 */
export function parseHttpDate(value: string): number | undefined {
  const v = value.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m !== null) {
    if (!DAYS.includes(m[1]!)) return undefined;
    return toMs(Number(m[4]), m[3]!, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  }
  m = RFC850_DATE.exec(v);
  if (m !== null) {
    if (!LONG_DAYS.includes(m[1]!)) return undefined;
    const yy = Number(m[4]);
    const year = yy >= TWO_DIGIT_YEAR_PIVOT ? 1900 + yy : 2000 + yy;
    return toMs(year, m[3]!, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  }
  m = ASCTIME_DATE.exec(v);
  if (m !== null) {
    if (!DAYS.includes(m[1]!)) return undefined;
    return toMs(Number(m[7]), m[2]!, Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  return undefined;
}

/** Formats ms since the epoch as an IMF-fixdate, the only HTTP-date a sender may generate (RFC 9110 §5.6.7). */
export function formatHttpDate(ms: number): string {
  // toUTCString() produces exactly IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  return new Date(ms).toUTCString();
}

/**
 * Parses an If-Match / If-None-Match value: `*`, or a comma list of entity-tags.
 *
 * Returns '*', the list, or undefined when the value is malformed. Quotes matter:
 * an opaque-tag may itself contain commas (RFC 9110 §8.8.3), so this is a scanner,
 * not a `split(',')`.
 */
function parseEntityTagList(value: string): '*' | EntityTag[] | undefined {
  const v = value.trim();
  if (v === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  const n = v.length;
  while (i < n) {
    const c = v[i]!;
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    let isWeak = false;
    if (c === 'W' && v[i + 1] === '/') {
      isWeak = true;
      i += 2;
    }
    if (v[i] !== '"') return undefined;
    const close = v.indexOf('"', i + 1);
    if (close < 0) return undefined;
    tags.push({ isWeak, opaque: v.slice(i, close + 1) });
    i = close + 1;
    // After a tag: only OWS then a comma or the end.
    while (i < n && (v[i] === ' ' || v[i] === '\t')) i++;
    if (i < n && v[i] !== ',') return undefined;
  }
  return tags;
}

function parseEntityTag(value: string): EntityTag | undefined {
  const list = parseEntityTagList(value);
  return Array.isArray(list) && list.length === 1 ? list[0] : undefined;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong and the same opaque-tag. */
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.isWeak && !b.isWeak && a.opaque === b.opaque;
}

/** Weak comparison (RFC 9110 §8.8.3.2): the same opaque-tag, weakness ignored. */
function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/**
 * Evaluates the preconditions of a request in the order of RFC 9110 §13.2.2.
 *
 * `header` looks a request field up by name (case-insensitive). The verdict is 412
 * when If-Match or If-Unmodified-Since fails, 304 when If-None-Match or
 * If-Modified-Since says the client's copy is current (GET/HEAD only; other methods
 * get 412 for a matching If-None-Match), else 'proceed'. If-Range is not judged
 * here: see `ifRangeAllows()`.
 */
export function evaluatePreconditions(
  method: string,
  header: (name: string) => string | undefined,
  validators: Validators,
): PreconditionVerdict {
  const current = validators.etag !== undefined ? parseEntityTag(validators.etag) : undefined;
  const lastModifiedSec =
    validators.lastModifiedMs !== undefined ? Math.floor(validators.lastModifiedMs / MS_PER_SECOND) : undefined;
  const isGetOrHead = method === 'GET' || method === 'HEAD';

  // Step 1: If-Match (§13.1.1), strong comparison; "*" matches any current representation.
  const ifMatch = header('if-match');
  if (ifMatch !== undefined) {
    const list = parseEntityTagList(ifMatch);
    const isMatch = list === '*' || (list !== undefined && current !== undefined && list.some((t) => strongMatch(t, current)));
    if (!isMatch) return 412;
  } else {
    // Step 2: If-Unmodified-Since (§13.1.4), only without If-Match; invalid dates are ignored.
    const ius = header('if-unmodified-since');
    const date = ius !== undefined ? parseHttpDate(ius) : undefined;
    if (date !== undefined && lastModifiedSec !== undefined && lastModifiedSec > date / MS_PER_SECOND) return 412;
  }

  // Step 3: If-None-Match (§13.1.2), weak comparison.
  const ifNoneMatch = header('if-none-match');
  if (ifNoneMatch !== undefined) {
    const list = parseEntityTagList(ifNoneMatch);
    const isMatch = list === '*' || (list !== undefined && current !== undefined && list.some((t) => weakMatch(t, current)));
    if (isMatch) return isGetOrHead ? 304 : 412;
    return 'proceed';
  }

  // Step 4: If-Modified-Since (§13.1.3): GET/HEAD only, ignored when If-None-Match is present.
  if (isGetOrHead) {
    const ims = header('if-modified-since');
    const date = ims !== undefined ? parseHttpDate(ims) : undefined;
    if (date !== undefined && lastModifiedSec !== undefined && lastModifiedSec <= date / MS_PER_SECOND) return 304;
  }
  return 'proceed';
}

/**
 * True when a Range request may be honoured given its If-Range (RFC 9110 §13.1.5).
 *
 * Without If-Range: true. With an entity-tag: true only on a strong match (a weak
 * tag never matches). With a date: true only when it equals Last-Modified exactly.
 * Otherwise false, and the caller sends the whole representation with 200.
 */
export function ifRangeAllows(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) {
    const tag = parseEntityTag(v);
    const current = validators.etag !== undefined ? parseEntityTag(validators.etag) : undefined;
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const date = parseHttpDate(v);
  if (date === undefined || validators.lastModifiedMs === undefined) return false;
  return Math.floor(validators.lastModifiedMs / MS_PER_SECOND) === date / MS_PER_SECOND;
}
