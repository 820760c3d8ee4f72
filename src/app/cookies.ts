/**
 * Cookies: parsing the `Cookie` header, serializing `Set-Cookie`, and signing.
 *
 * Owns RFC 6265 syntax (§4.1.1 set-cookie-string, §4.2.1 cookie-string, §5.2
 * attributes) plus the `SameSite` and `Partitioned` attributes (RFC 6265bis, CHIPS),
 * and HMAC-SHA256 signatures with key rotation (the first key signs, every key
 * verifies; comparison with `timingSafeEqual`).
 * Must not: throw on a malformed `Cookie` header from a client (bad pairs are
 * skipped), or let a value inject attributes (values are percent-encoded).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `SameSite` values (RFC 6265bis §5.4.7). */
export type SameSite = 'Strict' | 'Lax' | 'None';

/** Attributes of a `Set-Cookie` (RFC 6265 §4.1.2). */
export interface CookieOptions {
  /** `Max-Age` in seconds (§4.1.2.2); 0 or negative expires the cookie now. */
  maxAgeSeconds?: number;
  /** `Expires` date (§4.1.2.1). */
  expires?: Date;
  /** `Path` (§4.1.2.4). Default "/" (not the RFC's default-path: what apps expect). */
  path?: string;
  /** `Domain` (§4.1.2.3). Default: none (host-only cookie). */
  domain?: string;
  /** `Secure` (§4.1.2.5). */
  secure?: boolean;
  /** `HttpOnly` (§4.1.2.6). Default true: scripts rarely need cookies and XSS often wants them. */
  httpOnly?: boolean;
  /** `SameSite`. Default `Lax`. `None` requires `secure`. */
  sameSite?: SameSite;
  /** `Partitioned` (CHIPS). Requires `secure`. */
  partitioned?: boolean;
  /** Sign the value with the app's first key (HMAC-SHA256). */
  signed?: boolean;
}

// RFC 9110 §5.6.2 token: the cookie-name grammar of RFC 6265 §4.1.1.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Attribute values may not contain CTLs or ";" (§4.1.1 av-octet, path-value).
const ATTR_VALUE = /^[\x20-\x3a\x3c-\x7e]*$/;

/**
 * Parses a `Cookie` header into name → value (RFC 6265 §5.4 output, parsed per
 * §4.2.1). The first pair of a name wins; values are percent-decoded when valid
 * and their surrounding DQUOTEs removed; malformed pairs are skipped.
 *
 * @example
 * parseCookies('a=1; b="x%20y"') // { a: '1', b: 'x y' }
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === undefined || header === '') return out;
  let pos = 0;
  const len = header.length;
  while (pos < len) {
    let end = header.indexOf(';', pos);
    if (end < 0) end = len;
    const eq = header.indexOf('=', pos);
    if (eq > pos && eq < end) {
      const name = header.slice(pos, eq).trim();
      if (name !== '' && !(name in out)) {
        let value = header.slice(eq + 1, end).trim();
        if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1);
        out[name] = value.includes('%') ? safeDecode(value) : value;
      }
    }
    pos = end + 1;
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Builds one `Set-Cookie` field value. Throws TypeError on a bad name, a bad
 * attribute value, or a combination browsers reject (SameSite=None or
 * Partitioned without Secure; `__Secure-`/`__Host-` prefix rules).
 *
 * @example
 * serializeCookie('sid', 'abc', { secure: true, maxAgeSeconds: 3600 })
 * // 'sid=abc; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid cookie name: ${JSON.stringify(name)}`);
  // encodeURIComponent leaves only cookie-octets (RFC 6265 §4.1.1): no ; , space or DQUOTE.
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    throw new TypeError('cookie value is not well-formed Unicode (lone surrogate)');
  }
  let out = `${name}=${encoded}`;
  if (options.maxAgeSeconds !== undefined) {
    if (!Number.isFinite(options.maxAgeSeconds)) throw new TypeError('maxAgeSeconds must be finite');
    out += `; Max-Age=${Math.floor(options.maxAgeSeconds)}`;
  }
  if (options.expires !== undefined) {
    if (Number.isNaN(options.expires.getTime())) throw new TypeError('expires is an invalid Date');
    out += `; Expires=${options.expires.toUTCString()}`; // IMF-fixdate, RFC 9110 §5.6.7
  }
  const path = options.path ?? '/';
  if (!ATTR_VALUE.test(path)) throw new TypeError('invalid cookie path');
  out += `; Path=${path}`;
  if (options.domain !== undefined) {
    if (!/^\.?[A-Za-z0-9.-]+$/.test(options.domain)) throw new TypeError('invalid cookie domain');
    out += `; Domain=${options.domain}`;
  }
  const secure = options.secure === true;
  if (options.sameSite === 'None' && !secure) throw new TypeError('SameSite=None requires secure: true');
  if (options.partitioned === true && !secure) throw new TypeError('Partitioned requires secure: true');
  // Cookie prefixes (RFC 6265bis §4.1.3).
  if (name.startsWith('__Secure-') && !secure) throw new TypeError('__Secure- cookies require secure: true');
  if (name.startsWith('__Host-') && (!secure || path !== '/' || options.domain !== undefined)) {
    throw new TypeError('__Host- cookies require secure: true, path "/" and no domain');
  }
  if (secure) out += '; Secure';
  if (options.httpOnly ?? true) out += '; HttpOnly';
  const sameSite = options.sameSite ?? 'Lax';
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') throw new TypeError('invalid sameSite');
  out += `; SameSite=${sameSite}`;
  if (options.partitioned === true) out += '; Partitioned';
  return out;
}

/** Normalizes a key list; throws if empty (signing without a key is a bug). */
function checkKeys(keys: readonly (string | Buffer)[] | undefined): readonly (string | Buffer)[] {
  if (keys === undefined || keys.length === 0) throw new TypeError('signed cookies need the App option `keys` (at least one secret)');
  return keys;
}

function mac(key: string | Buffer, name: string, value: string): Buffer {
  // The name is part of the MAC so a signed value cannot be moved to another cookie.
  return createHmac('sha256', key).update(name).update('=').update(value).digest();
}

/**
 * Signs a cookie value: `value.signature` (base64url HMAC-SHA256 of
 * `name=value` with the first key).
 */
export function signCookieValue(name: string, value: string, keys: readonly (string | Buffer)[] | undefined): string {
  return `${value}.${mac(checkKeys(keys)[0]!, name, value).toString('base64url')}`;
}

/**
 * Verifies a signed cookie value against every key (rotation: old keys still
 * verify). Returns the unsigned value, or undefined when the signature is
 * missing or wrong.
 */
export function unsignCookieValue(name: string, signed: string, keys: readonly (string | Buffer)[] | undefined): string | undefined {
  const list = checkKeys(keys);
  const dot = signed.lastIndexOf('.');
  if (dot < 0) return undefined;
  const value = signed.slice(0, dot);
  // Compare the encoded text, not decoded bytes: base64url decoding is lenient
  // (extra or altered trailing characters can decode to the same bytes).
  const given = Buffer.from(signed.slice(dot + 1), 'latin1');
  for (const key of list) {
    const want = Buffer.from(mac(key, name, value).toString('base64url'), 'latin1');
    if (given.length === want.length && timingSafeEqual(given, want)) return value;
  }
  return undefined;
}
