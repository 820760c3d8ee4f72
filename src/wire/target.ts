/**
 * Request-target helpers (RFC 9112 §3.2): split a target into path and query.
 *
 * Owns the one place that knows the four target forms. No decoding here:
 * percent-decoding happens once, in path.ts, where it is checked.
 */

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
