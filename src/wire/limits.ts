/**
 * Parser limits: every bound the wire layer enforces, with its default and the reason for it.
 *
 * Owns the `ParserLimits` type, `DEFAULT_PARSER_LIMITS` and their resolution
 * into the frozen object a parser uses. The server exposes each one as an
 * option of the same name (docs/limits.md lists them all).
 */

/** Limits the request parser enforces while reading a message. */
export interface ParserLimits {
  /**
   * Longest request line, CRLF excluded. Over it: 414. Default 16 KiB: above the
   * 8,000 octets RFC 9112 §3 recommends supporting, twice nginx's 8 KiB buffer.
   */
  maxRequestLineBytes: number;
  /**
   * Largest header section (every field line with its CRLF, request line excluded).
   * Over it: 431. Default 32 KiB, nginx's 4 x 8 KiB; node:http allows 16 KiB.
   */
  maxHeaderBytes: number;
  /**
   * Most field lines in the header section, Host included (and in the trailer section). Over
   * it: 431. Default 1000 (issue #12): maxHeaderBytes already bounds the bytes, so the count
   * bounds only what parsing them costs: 32 KiB of 5-byte fields is 6,500 fields and about
   * 280 KiB of heap, while 1000 fields take about 41 KiB, near the bytes' own 32 KiB. Apache's
   * 100 (LimitRequestFields, also Tomcat and Kestrel) refuses a request with 100 fields of its
   * own plus Host, and counts what proxies add; nginx counts only bytes; node:http's 2000 is
   * not a refusal (it silently leaves the rest out of req.headers; RFC 9110 §5.4 asks for a 4xx).
   * docs/limits.md gives the measurements.
   */
  maxHeaderCount: number;
  /**
   * Longest chunk-extension on one chunk-size line (RFC 9112 §7.1.1 lets a server
   * bound it). Over it: 400. Default 1 KiB; llhttp had CVE-2023-30589-era issues with unbounded ones.
   */
  maxChunkExtensionBytes: number;
  /** Largest body after transfer decoding. Over it: 413. Default 1 MiB (nginx client_max_body_size). */
  maxBodyBytes: number;
}

/** Request-line limit default (see `ParserLimits.maxRequestLineBytes`). */
export const DEFAULT_MAX_REQUEST_LINE_BYTES = 16 * 1024;
/** Header-section limit default (see `ParserLimits.maxHeaderBytes`). */
export const DEFAULT_MAX_HEADER_BYTES = 32 * 1024;
/** Field-line count default (see `ParserLimits.maxHeaderCount`). */
export const DEFAULT_MAX_HEADER_COUNT = 1000;
/** Chunk-extension limit default (see `ParserLimits.maxChunkExtensionBytes`). */
export const DEFAULT_MAX_CHUNK_EXTENSION_BYTES = 1024;
/** Body limit default (see `ParserLimits.maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Every parser limit at its default. */
export const DEFAULT_PARSER_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxRequestLineBytes: DEFAULT_MAX_REQUEST_LINE_BYTES,
  maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
  maxHeaderCount: DEFAULT_MAX_HEADER_COUNT,
  maxChunkExtensionBytes: DEFAULT_MAX_CHUNK_EXTENSION_BYTES,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
});

/**
 * The limits a request parser enforces: `overrides` over the defaults, frozen, so they cannot
 * change under a parser (it relies on that: a field section it remembers passed them once and
 * is not checked again, parser.ts). A frozen object that sets all five is used as it is. Any
 * other object is copied into a frozen one of the five, made once per object and reused while
 * the object still holds the same five values: a server passes one options object to every
 * connection, and an idle connection should not carry a copy of its own.
 */
export function resolveParserLimits(overrides?: Partial<ParserLimits>): Readonly<ParserLimits> {
  if (overrides === undefined) return DEFAULT_PARSER_LIMITS;
  if (Object.isFrozen(overrides) && isComplete(overrides)) return overrides;
  const d = DEFAULT_PARSER_LIMITS;
  const maxRequestLineBytes = overrides.maxRequestLineBytes ?? d.maxRequestLineBytes;
  const maxHeaderBytes = overrides.maxHeaderBytes ?? d.maxHeaderBytes;
  const maxHeaderCount = overrides.maxHeaderCount ?? d.maxHeaderCount;
  const maxChunkExtensionBytes = overrides.maxChunkExtensionBytes ?? d.maxChunkExtensionBytes;
  const maxBodyBytes = overrides.maxBodyBytes ?? d.maxBodyBytes;
  const made = RESOLVED.get(overrides);
  if (
    made !== undefined && made.maxRequestLineBytes === maxRequestLineBytes && made.maxHeaderBytes === maxHeaderBytes &&
    made.maxHeaderCount === maxHeaderCount && made.maxChunkExtensionBytes === maxChunkExtensionBytes &&
    made.maxBodyBytes === maxBodyBytes
  ) {
    return made;
  }
  const resolved = Object.freeze({ maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxChunkExtensionBytes, maxBodyBytes });
  RESOLVED.set(overrides, resolved);
  return resolved;
}

/** The frozen copy last made of each overrides object (weak: it goes with the object). */
const RESOLVED = new WeakMap<object, Readonly<ParserLimits>>();

function isComplete(l: Partial<ParserLimits>): l is ParserLimits {
  return (
    l.maxRequestLineBytes !== undefined && l.maxHeaderBytes !== undefined && l.maxHeaderCount !== undefined &&
    l.maxChunkExtensionBytes !== undefined && l.maxBodyBytes !== undefined
  );
}
