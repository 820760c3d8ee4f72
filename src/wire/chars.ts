/**
 * Byte-class tables of RFC 9110 §5.6.2 (token) and §5.5 (field values).
 *
 * Owns the lookup tables the parser and serializer share, so a byte's class
 * is decided in one place. One Uint8Array lookup per byte keeps the hot loops
 * branch-light.
 */

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

/** tchar (RFC 9110 §5.6.2): the bytes allowed in a token (methods, field names, codings). */
export const TOKEN: Uint8Array = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    TCHAR_SYMBOLS.includes(String.fromCharCode(c)),
);

/**
 * field-vchar / SP / HTAB (RFC 9110 §5.5): VCHAR, obs-text (0x80-0xFF), SP and HTAB.
 * CR, LF, NUL and other controls are not in it: we reject them rather than
 * replace them (RFC 9110 §5.5 allows either; rejecting cannot be misread downstream).
 */
export const FIELD_VALUE: Uint8Array = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * Request-target bytes we accept: visible ASCII except "#" (a fragment is never
 * sent, RFC 9112 §3.2). Controls, SP, DEL and non-ASCII bytes are refused (400);
 * RFC 3986 requires them to be percent-encoded.
 */
export const TARGET: Uint8Array = table((c) => c > 0x20 && c < 0x7f && c !== 0x23);

/** reg-name / IPv4 bytes of a Host (RFC 3986 §3.2.2): unreserved, pct-encoded, sub-delims. */
export const HOST_NAME: Uint8Array = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    "-._~%!$&'()*+,;=".includes(String.fromCharCode(c)),
);

/** Bytes allowed inside an IP-literal's brackets (RFC 3986 §3.2.2: IPv6address / IPvFuture). */
export const HOST_IP_LITERAL: Uint8Array = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    ":.-._~!$&'()*+,;=".includes(String.fromCharCode(c)),
);

/** Hex digit values, or 255 for a non-hex byte. */
export const HEX: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

/** True when every character of `s` is a tchar (and s is not empty). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] === 0) return false;
  }
  return true;
}

/** True when `s` is a valid field value to send: no CR, LF, NUL or other control but HTAB. */
export function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) return false;
  }
  return true;
}

/** Removes leading and trailing SP/HTAB only (OWS, RFC 9110 §5.6.3); String#trim would also eat U+00A0. */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
