/**
 * Byte ranges: parsing the `Range` header and framing `multipart/byteranges` (RFC 9110 §14).
 *
 * Owns the range-set grammar, the satisfiability rules and the multipart part headers.
 * It is pure: no file system, no sockets. The static handler decides *whether* a
 * Range applies (method, If-Range, compression) and streams the bytes; this module
 * only says *which* bytes and how to frame several of them.
 */

/** One satisfiable byte range, both ends inclusive and inside the representation. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What a `Range` header asks for, resolved against a representation length. */
export type RangeResult =
  /** No usable Range: absent, malformed, another unit, or too many parts. Serve 200. */
  | { readonly kind: 'ignore' }
  /** Well-formed, but no range overlaps the representation: 416 (RFC 9110 §15.5.17). */
  | { readonly kind: 'unsatisfiable' }
  /** One or more satisfiable ranges, sorted and with overlaps merged: 206. */
  | { readonly kind: 'ranges'; readonly ranges: readonly ByteRange[] };

/**
 * Default for `maxRanges`: a Range header with more parts than this is ignored and the
 * whole representation is sent. Many tiny or overlapping ranges are a known
 * amplification attack (CVE-2011-3192, Apache's "Range: bytes=0-,5-0,5-1,...");
 * RFC 9110 §14.2 lets a server ignore such requests. Apache's MaxRanges default is 200;
 * no real client (browsers, download managers, PDF viewers) asks for this many.
 */
export const DEFAULT_MAX_RANGES = 100;

const IGNORE: RangeResult = { kind: 'ignore' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };
const DIGITS = /^[0-9]+$/;

/**
 * Parses a `Range` header value against a representation of `size` bytes.
 *
 * Grammar (RFC 9110 §14.1.2): `bytes=` followed by a comma list of `first-last`,
 * `first-` or `-suffixLength`, with optional whitespace around commas. The unit is
 * case-insensitive. A header whose unit is not `bytes` is ignored (§14.2: "An origin
 * server MUST ignore a Range header field that contains a range unit it does not
 * understand"), and so is a syntactically invalid one (§14.2: a server MAY ignore Range).
 * Overlapping and adjacent ranges are merged and the result sorted (§14.2 allows a
 * server to coalesce), which also defeats overlapping-range amplification.
 *
 * @example
 * parseRange('bytes=0-99', 1000); // { kind: 'ranges', ranges: [{ start: 0, end: 99 }] }
 * parseRange('bytes=-100', 1000); // last 100 bytes: { start: 900, end: 999 }
 * parseRange('bytes=2000-', 1000); // { kind: 'unsatisfiable' }
 */
export function parseRange(header: string | undefined, size: number, maxRanges: number = DEFAULT_MAX_RANGES): RangeResult {
  if (header === undefined) return IGNORE;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return IGNORE;
  const specs = header.slice(eq + 1).split(',');
  const ranges: ByteRange[] = [];
  let count = 0;
  for (const raw of specs) {
    const spec = raw.trim();
    // RFC 9110 §5.6.1: empty list elements are allowed and ignored.
    if (spec === '') continue;
    if (++count > maxRanges) return IGNORE;
    const dash = spec.indexOf('-');
    if (dash < 0) return IGNORE;
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === '') {
      // suffix-range: the last N bytes; "-0" is valid syntax but never satisfiable.
      if (!DIGITS.test(last)) return IGNORE;
      const n = Number(last);
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return IGNORE;
    const start = Number(first);
    const end = last === '' ? Infinity : Number(last);
    // §14.1.1: an int-range with last-pos < first-pos is invalid, so the set is.
    if (end < start) return IGNORE;
    // §14.1.2: satisfiable when first-pos < length; last-pos is clamped to length - 1.
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (count === 0) return IGNORE;
  if (ranges.length === 0) return UNSATISFIABLE;
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/** Sorts ranges and merges the ones that overlap or touch. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return ranges;
  ranges.sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [ranges[0]!];
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i]!;
    const prev = out[out.length - 1]!;
    if (r.start <= prev.end + 1) {
      if (r.end > prev.end) out[out.length - 1] = { start: prev.start, end: r.end };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The `Content-Range` value for one satisfied range (RFC 9110 §14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** The `Content-Range` value of a 416 answer: unsatisfied-range, "bytes *" then "/" and the length (RFC 9110 §14.4, §15.5.17). */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}

/** A `multipart/byteranges` body laid out ahead of time, so Content-Length is known. */
export interface MultipartLayout {
  /** The Content-Type of the whole response, with its boundary parameter. */
  readonly contentType: string;
  /** Part headers to send before each range's bytes, index-aligned with the ranges. */
  readonly partHeads: readonly Buffer[];
  /** The closing delimiter, sent after the last part's bytes. */
  readonly trailer: Buffer;
  /** Exact length of the whole body: heads + range bytes + trailer. */
  readonly totalBytes: number;
}

/**
 * Frames several ranges as `multipart/byteranges` (RFC 9110 §14.6, RFC 2046 §5.1.1).
 *
 * Each part carries its own Content-Type and Content-Range. The boundary must not
 * occur in the data; callers pass a random one (e.g. 24 random hex chars), which
 * makes a collision with file contents negligible, as in Apache and nginx.
 */
export function multipartLayout(
  ranges: readonly ByteRange[],
  size: number,
  partContentType: string,
  boundary: string,
): MultipartLayout {
  const partHeads: Buffer[] = [];
  let totalBytes = 0;
  ranges.forEach((r, i) => {
    // The CRLF before each delimiter after the first belongs to the delimiter (RFC 2046 §5.1.1).
    const head = Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partContentType}\r\nContent-Range: ${contentRange(r, size)}\r\n\r\n`,
      'latin1',
    );
    partHeads.push(head);
    totalBytes += head.length + (r.end - r.start + 1);
  });
  const trailer = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  totalBytes += trailer.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, partHeads, trailer, totalBytes };
}
