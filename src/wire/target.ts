/**
 * Request-target helpers (RFC 9112 §3.2): which form a target has, and its parts.
 *
 * Owns the one place that knows the four target forms: the parser's check of
 * a target against its method (checkTargetForm), and splitting a target into
 * path and query. No decoding here: percent-decoding happens once, in
 * path.ts, where it is checked.
 */
import { BadRequestError, NotImplementedError } from './errors.js';
import { isDigit, isValidHost } from './syntax.js';

/** Path (still percent-encoded) and query (without "?") of a request-target. */
export interface TargetParts {
  readonly path: string;
  readonly query: string;
}

/**
 * Splits a request-target. origin-form "/p?q"; absolute-form "http://h/p?q" gives
 * "/p" (RFC 9112 §3.2.2: the authority replaces Host); asterisk-form gives "*".
 */
export function splitTarget(target: string): TargetParts {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    if (target === '*') return { path: '*', query: '' };
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3);
      const q0 = target.indexOf('?', scheme + 3);
      if (slash === -1 || (q0 !== -1 && q0 < slash)) {
        return { path: '/', query: q0 === -1 ? '' : target.slice(q0 + 1) };
      }
      start = slash;
    }
  }
  const q = target.indexOf('?', start);
  if (q === -1) return { path: start === 0 ? target : target.slice(start), query: '' };
  return { path: target.slice(start, q), query: target.slice(q + 1) };
}

/**
 * The authority of an absolute-form target ("host:port"), or undefined for other forms. Not
 * validated here: the parser checks it and makes it the request's Host (RFC 9112 §3.2.2).
 */
export function targetAuthority(target: string): string | undefined {
  if (target.charCodeAt(0) === 0x2f) return undefined;
  const scheme = target.indexOf('://');
  if (scheme === -1) return undefined;
  let end = target.length;
  for (const ch of ['/', '?']) {
    const i = target.indexOf(ch, scheme + 3);
    if (i !== -1 && i < end) end = i;
  }
  return target.slice(scheme + 3, end);
}

/**
 * RFC 9112 §3.2: origin-form for most methods, absolute-form for any, asterisk-form
 * only with OPTIONS, authority-form only with CONNECT, which we do not implement
 * (no tunnels): 501 (RFC 9110 §9.3.6). Returns the authority of an absolute-form
 * target, else undefined. The target's bytes were checked by the parser (chars.ts TARGET).
 */
export function checkTargetForm(method: string, target: string): string | undefined {
  if (method === 'CONNECT') throw new NotImplementedError('CONNECT is not supported', 'ERR_CONNECT_NOT_SUPPORTED');
  const c = target.charCodeAt(0);
  if (c === 0x2f) return undefined;
  if (target === '*') {
    if (method === 'OPTIONS') return undefined;
    throw new BadRequestError('asterisk-form needs OPTIONS', 'ERR_INVALID_TARGET');
  }
  // absolute-form: scheme ":" hier-part (RFC 3986 §3.1): ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const colon = target.indexOf(':');
  if (colon > 0 && isAlpha(c)) {
    for (let i = 1; i < colon; i++) {
      const ch = target.charCodeAt(i);
      if (!isAlpha(ch) && !isDigit(ch) && ch !== 0x2b && ch !== 0x2d && ch !== 0x2e) {
        throw new BadRequestError('invalid request-target', 'ERR_INVALID_TARGET');
      }
    }
    if (target.startsWith('//', colon + 1)) return absoluteFormAuthority(target, colon);
  }
  throw new BadRequestError('invalid request-target', 'ERR_INVALID_TARGET');
}

/**
 * The authority of an absolute-form target whose scheme ends at `colon` (issue #12). An origin
 * server answers for http and https URIs only (RFC 9110 §4.2; schemes are case-insensitive,
 * RFC 3986 §3.1). The authority must be a valid Host value with a host: userinfo is refused
 * (RFC 9110 §4.2.4: a recipient should treat it as an error; it is how phishing URIs hide the
 * real host), so is an empty host (RFC 9110 §4.2.1) and any byte uri-host does not allow.
 */
function absoluteFormAuthority(target: string, colon: number): string {
  const scheme = target.slice(0, colon).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new BadRequestError('unsupported URI scheme', 'ERR_INVALID_TARGET');
  // "://" follows the scheme (checked by the caller), so this is never undefined here.
  const authority = targetAuthority(target) ?? '';
  if (authority.includes('@')) throw new BadRequestError('userinfo in request-target', 'ERR_INVALID_TARGET');
  if (authority.length === 0 || authority.charCodeAt(0) === 0x3a || !isValidHost(authority)) {
    throw new BadRequestError('invalid authority in request-target', 'ERR_INVALID_TARGET');
  }
  return authority;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
