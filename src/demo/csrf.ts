/**
 * CSRF protection for the demo's forms: signed double-submit tokens.
 *
 * Owns making and checking tokens. A visitor gets a random nonce in an
 * HttpOnly cookie; each form carries HMAC-SHA256(secret, nonce) in a hidden
 * field. A cross-site page can make the browser send the cookie but cannot
 * read it, so it cannot compute the field. The secret lives in the database
 * (models/settings.ts), so every instance of a cluster accepts every other's
 * tokens and nothing is kept in process memory (issue #8).
 * Must not compare tokens with `===` (timing), nor accept a token without a nonce.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the cookie holding the nonce. */
export const CSRF_COOKIE = 'keel_csrf';
/** Name of the hidden form field holding the token. */
export const CSRF_FIELD = 'csrf';
/** Bytes of randomness in a nonce (128 bits). */
export const CSRF_NONCE_BYTES = 16;
/** Lifetime of the nonce cookie: a day, then a new visit gets a new one. */
export const CSRF_COOKIE_MAX_AGE_SECONDS = 24 * 60 * 60;

const NONCE_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/** A fresh random nonce (base64url). */
export function newCsrfNonce(): string {
  return randomBytes(CSRF_NONCE_BYTES).toString('base64url');
}

/** True when `value` looks like a nonce we issued (so a junk cookie is replaced, not trusted). */
export function isCsrfNonce(value: string | undefined): value is string {
  return value !== undefined && NONCE_SHAPE.test(value);
}

/** The form token for `nonce`. */
export function csrfToken(secret: string, nonce: string): string {
  return createHmac('sha256', secret).update(`csrf:${nonce}`).digest('base64url');
}

/** True when `token` was made for `nonce` with `secret`. Constant-time comparison. */
export function isValidCsrfToken(secret: string, nonce: string | undefined, token: string | undefined): boolean {
  if (!isCsrfNonce(nonce) || token === undefined) return false;
  const want = Buffer.from(csrfToken(secret, nonce));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}
