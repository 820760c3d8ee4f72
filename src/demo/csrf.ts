/**
 * CSRF protection for the demo's forms: a signed nonce cookie and a token bound to it.
 *
 * Owns making and checking nonces and tokens. A visitor gets a random nonce in
 * an HttpOnly cookie, signed with the demo's keys (the App's signed cookies,
 * src/app/cookies.ts), so a cookie the server did not issue is never believed:
 * a planted `keel_csrf=<any nonce>` is replaced, not kept (issue #12 item 13).
 * Each form carries a token: the signature of the nonce under another name
 * (`CSRF_TOKEN_PURPOSE`), made by the same primitive, so the token cannot be
 * computed without the keys and neither value can stand in for the other.
 * A cross-site page can make the browser send the cookie but cannot read the
 * token. Over https the cookie is `__Host-keel_csrf` (Secure, Path=/, no
 * Domain: RFC 6265bis §4.1.3.2), which a sibling subdomain or a plain-http
 * page cannot set, so a harvested cookie and token pair cannot be planted
 * either. The keys live in the database by default (models/settings.ts), so
 * every instance of a cluster accepts every other's tokens (issue #8).
 * Must not: compute an HMAC itself (one implementation: app/cookies.ts), or
 * accept a token without a verified nonce.
 */
import { randomBytes } from 'node:crypto';
import { signCookieValue, unsignCookieValue } from '../app/index.js';

/** Name of the cookie holding the signed nonce on plain http. */
export const CSRF_COOKIE = 'keel_csrf';
/** Name of that cookie over https: the `__Host-` prefix forbids setting it from elsewhere. */
export const CSRF_COOKIE_HTTPS = `__Host-${CSRF_COOKIE}`;
/** Name of the hidden form field holding the token. */
export const CSRF_FIELD = 'csrf';
/** The name a token's signature is computed under (the cookie's is the cookie name): domain separation. */
export const CSRF_TOKEN_PURPOSE = 'keel_csrf_token';
/** Bytes of randomness in a nonce (128 bits). */
export const CSRF_NONCE_BYTES = 16;
/** Lifetime of the nonce cookie: a day, then a new visit gets a new one. */
export const CSRF_COOKIE_MAX_AGE_SECONDS = 24 * 60 * 60;

/** HMAC keys: the first signs, every one verifies (rotation), as App `keys`. */
export type CsrfKeys = readonly (string | Buffer)[];

const NONCE_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/** The nonce cookie's name for a request made over https or not. */
export function csrfCookieName(isHttps: boolean): string {
  return isHttps ? CSRF_COOKIE_HTTPS : CSRF_COOKIE;
}

/** A fresh random nonce (base64url). */
export function newCsrfNonce(): string {
  return randomBytes(CSRF_NONCE_BYTES).toString('base64url');
}

/** True when `value` has the shape of a nonce we issue. */
export function isCsrfNonce(value: string | undefined): value is string {
  return value !== undefined && NONCE_SHAPE.test(value);
}

/** The form token for `nonce`: its signature under `CSRF_TOKEN_PURPOSE` (base64url, no nonce in it). */
export function csrfToken(keys: CsrfKeys, nonce: string): string {
  const signed = signCookieValue(CSRF_TOKEN_PURPOSE, nonce, keys);
  return signed.slice(nonce.length + 1);
}

/**
 * True when `token` was made for `nonce` with one of `keys`. `nonce` must be the
 * verified value of the signed cookie. The signature is compared in constant
 * time by `unsignCookieValue`.
 */
export function isValidCsrfToken(keys: CsrfKeys, nonce: string | undefined, token: string | undefined): boolean {
  if (!isCsrfNonce(nonce) || token === undefined || token === '') return false;
  // unsign splits at the last "."; a token holding a "." would move that split, so the
  // value it returns must still be exactly our nonce.
  return unsignCookieValue(CSRF_TOKEN_PURPOSE, `${nonce}.${token}`, keys) === nonce;
}

/**
 * True when the browser says the request comes from another site (Fetch Metadata,
 * `Sec-Fetch-Site`): `cross-site`, or `same-site` (a sibling subdomain, which could
 * also have planted cookies). Browsers without Fetch Metadata send nothing and
 * rely on the token alone.
 */
export function isCrossSiteRequest(secFetchSite: string | undefined): boolean {
  const site = secFetchSite?.trim().toLowerCase();
  return site === 'cross-site' || site === 'same-site';
}
