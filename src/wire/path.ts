/**
 * The one path normalizer: raw request-target path in, safe absolute path out.
 *
 * Owns percent-decoding (done exactly once, here), UTF-8 validation and dot-segment
 * removal for every layer that maps a URL path onto something: the router, the static
 * file handler and the CGI gateway all call `normalizePath()` and nothing else, so a
 * path that one of them accepts is the path all of them see (issue #5).
 * It must stay pure: no `node:` imports, no file system, no clock. It does not know
 * about roots, mount prefixes or dotfiles; callers apply those policies to the result.
 *
 * Theory of operation: the raw path is a latin1 string (one char per received byte).
 * One left-to-right scan turns it into bytes, decoding `%XX` escapes and refusing the
 * bytes that must never reach a file system path (NUL and other controls, backslash,
 * and an escaped `/` or `\` that would smuggle a separator past segment splitting).
 * The bytes are then decoded as UTF-8 with a fatal decoder, which also refuses overlong
 * forms such as `%c0%ae` (an overlong "."). Only after decoding are segments split and
 * `.`/`..` removed (RFC 3986 §5.2.4), so `%2e%2e` is treated as the `..` it spells and
 * can never climb above "/".
 */

/** Why `normalizePath()` refused a path; exported so callers can log a precise reason. */
export type PathRefusal =
  | 'not-absolute'
  | 'bad-escape'
  | 'encoded-separator'
  | 'backslash'
  | 'control-char'
  | 'non-latin1'
  | 'invalid-utf8'
  | 'above-root';

/** The result of `analyzePath()`: a normalized path, or the reason it was refused. */
export type PathResult = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: PathRefusal };

const CHAR_PERCENT = 0x25;
const CHAR_SLASH = 0x2f;
const CHAR_DOT = 0x2e;
const CHAR_BACKSLASH = 0x5c;
/** C0 controls end here (exclusive): U+0000..U+001F. */
const CONTROL_C0_END = 0x20;
const CHAR_DEL = 0x7f;
/** Highest code unit a latin1 (byte-per-char) string can hold. */
const MAX_BYTE = 0xff;

// Fatal: an invalid sequence throws instead of becoming U+FFFD, and the WHATWG decoder
// rejects overlong encodings and surrogates (RFC 3629 §3). ignoreBOM keeps a leading
// U+FEFF as a character rather than silently dropping it.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  if (code >= 0x41 && code <= 0x46) return code - 0x37; // A-F
  if (code >= 0x61 && code <= 0x66) return code - 0x57; // a-f
  return -1;
}

/** True for code points that must never appear in a path: C0 controls, DEL and C1 controls. */
function isControl(codePoint: number): boolean {
  return codePoint < CONTROL_C0_END || (codePoint >= CHAR_DEL && codePoint <= 0x9f);
}

/**
 * Normalizes a raw path and says why when it refuses one.
 *
 * Same rules as `normalizePath()`; use this one when the reason matters (logs, tests).
 */
export function analyzePath(rawPath: string): PathResult {
  if (rawPath.length === 0 || rawPath.charCodeAt(0) !== CHAR_SLASH) return { ok: false, reason: 'not-absolute' };

  // Fast path: plain ASCII with no escapes needs no byte buffer at all, and one with no
  // "//", "/." either needs no segment pass: it is returned as it came (the common case).
  let needsDecode = false;
  let needsSegments = false;
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === CHAR_SLASH) {
      const next = rawPath.charCodeAt(i + 1);
      if (next === CHAR_SLASH || next === CHAR_DOT) needsSegments = true;
    } else if (c === CHAR_PERCENT || c > 0x7e) {
      needsDecode = true;
    } else if (c === CHAR_BACKSLASH) {
      // A backslash is a separator on Windows and a favourite of traversal payloads
      // (`..\..\etc`); it has no business in a URL path (RFC 3986 §3.3), refuse it.
      return { ok: false, reason: 'backslash' };
    } else if (isControl(c)) {
      return { ok: false, reason: 'control-char' };
    }
  }

  if (!needsDecode && !needsSegments) return { ok: true, path: rawPath };
  let decoded = rawPath;
  if (needsDecode) {
    const bytes = new Uint8Array(rawPath.length);
    let n = 0;
    for (let i = 0; i < rawPath.length; i++) {
      const c = rawPath.charCodeAt(i);
      if (c > MAX_BYTE) return { ok: false, reason: 'non-latin1' };
      if (c !== CHAR_PERCENT) {
        bytes[n++] = c;
        continue;
      }
      // RFC 3986 §2.1: "%" must be followed by two hex digits.
      const hi = i + 2 < rawPath.length ? hexValue(rawPath.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(rawPath.charCodeAt(i + 2)) : -1;
      if (lo < 0) return { ok: false, reason: 'bad-escape' };
      const b = (hi << 4) | lo;
      // An encoded "/" is data, not a separator (RFC 3986 §2.2); decoding it into one
      // would let `..%2f..%2f` slip past segment checks, so such paths are refused.
      if (b === CHAR_SLASH || b === CHAR_BACKSLASH) return { ok: false, reason: 'encoded-separator' };
      // Bytes 0x80-0x9F are UTF-8 continuation bytes here; C1 controls are caught
      // after decoding, below.
      if (b < CONTROL_C0_END || b === CHAR_DEL) return { ok: false, reason: 'control-char' };
      bytes[n++] = b;
      i += 2;
    }
    try {
      decoded = UTF8.decode(bytes.subarray(0, n));
    } catch {
      return { ok: false, reason: 'invalid-utf8' };
    }
    // Decoded multi-byte sequences may spell C1 controls (U+0080..U+009F).
    for (let i = 0; i < decoded.length; i++) {
      if (isControl(decoded.charCodeAt(i))) return { ok: false, reason: 'control-char' };
    }
  }

  // Dot-segment removal (RFC 3986 §5.2.4) over decoded segments. Empty segments
  // (`//`) are dropped too: no file system distinguishes them and they confuse prefixes.
  const raw = decoded.split('/');
  const out: string[] = [];
  for (let i = 1; i < raw.length; i++) {
    const seg = raw[i]!;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { ok: false, reason: 'above-root' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const last = raw[raw.length - 1]!;
  // "/a/b/" and "/a/b/.." both name a directory: keep the trailing slash, as a browser
  // resolving the same reference would.
  const hasTrailingSlash = out.length > 0 && (last === '' || last === '.' || last === '..');
  return { ok: true, path: '/' + out.join('/') + (hasTrailingSlash ? '/' : '') };
}

/**
 * Percent-decodes and normalizes the raw path of a request-target.
 *
 * Takes the path exactly as received (still percent-encoded, no query), decodes it
 * once as UTF-8 and returns an absolute path ("/a/b", trailing slash kept) without
 * `.`, `..` or empty segments. Returns null when the path must be refused: an encoded
 * separator (`%2f`, `%5c`), a backslash, NUL or another control character, a bad
 * `%` escape, invalid or overlong UTF-8, or a `..` that would climb above "/".
 * Callers answer null with 400 Bad Request.
 *
 * @example
 * normalizePath('/a/./b/../c%20d/'); // '/a/c d/'
 * normalizePath('/%2e%2e/etc/passwd'); // null
 */
export function normalizePath(rawPath: string): string | null {
  const r = analyzePath(rawPath);
  return r.ok ? r.path : null;
}

/**
 * Splits a path returned by `normalizePath()` into its decoded segments.
 *
 * "/" gives [], "/a/b/" gives ["a", "b"]: the trailing slash is a property of the
 * path, test it with `path.endsWith('/')`.
 */
export function splitSegments(normalizedPath: string): string[] {
  const segs = normalizedPath.split('/');
  return segs.filter((s) => s !== '');
}

/**
 * Percent-encodes a normalized path for use in a URL (a `Location` header, an href).
 *
 * Each segment is encoded with `encodeURIComponent`, so "/" stays the only separator
 * and the result starts with exactly one "/", never "//" (which a browser would read
 * as a network-path reference to another host: the open-redirect trap).
 */
export function encodePath(normalizedPath: string): string {
  return normalizedPath
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
