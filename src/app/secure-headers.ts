/**
 * secureHeaders(): response fields that harden an HTML app in browsers (issue #16 item 8).
 *
 * Owns the defaults (helmet's and Hono's choices where they agree, each with its reason)
 * and checks the configured values once, at setup. The fields are set before the
 * handler runs, so a handler may still override one per route (`ctx.header()`), and
 * error responses carry them too. Must not: set a Content-Security-Policy unless asked
 * (a CSP that does not match the app breaks it; it is opt-in), or set HSTS unless asked
 * (on a shared domain it pins every subdomain to HTTPS for a year).
 */
import { isFieldValue } from '../wire/chars.js';
import type { Middleware, Next } from './compose.js';
import type { Context } from './context.js';

/** Options of {@link secureHeaders}: a string sets the field, `false` leaves it out. */
export interface SecureHeadersOptions {
  /** `Content-Security-Policy`. Default off (opt-in), e.g. `"default-src 'self'"`. */
  readonly contentSecurityPolicy?: string | false;
  /** `X-Content-Type-Options`. Default `nosniff`: no MIME sniffing of scripts and styles (Fetch §3.5). */
  readonly contentTypeOptions?: 'nosniff' | false;
  /** `X-Frame-Options`. Default `SAMEORIGIN`: no framing by other sites (clickjacking, RFC 7034). */
  readonly frameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /** `Referrer-Policy`. Default `no-referrer` (helmet, Hono): URLs with tokens never leak to other sites. */
  readonly referrerPolicy?: string | false;
  /** `Cross-Origin-Opener-Policy`. Default `same-origin`: other sites' windows get no handle on ours (Spectre). */
  readonly crossOriginOpenerPolicy?: string | false;
  /** `Cross-Origin-Resource-Policy`. Default `same-origin`: other sites cannot embed our responses no-cors. */
  readonly crossOriginResourcePolicy?: string | false;
  /** `Strict-Transport-Security`. Default off (opt-in), e.g. `max-age=31536000; includeSubDomains`. */
  readonly strictTransportSecurity?: string | false;
}

/** The defaults of {@link secureHeaders}, field by field (docs/app.md). */
export const DEFAULT_SECURE_HEADERS: Readonly<Required<SecureHeadersOptions>> = Object.freeze({
  contentSecurityPolicy: false,
  contentTypeOptions: 'nosniff',
  frameOptions: 'SAMEORIGIN',
  referrerPolicy: 'no-referrer',
  crossOriginOpenerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
  strictTransportSecurity: false,
});

const FIELD_NAMES: Readonly<Record<keyof SecureHeadersOptions, string>> = {
  contentSecurityPolicy: 'Content-Security-Policy',
  contentTypeOptions: 'X-Content-Type-Options',
  frameOptions: 'X-Frame-Options',
  referrerPolicy: 'Referrer-Policy',
  crossOriginOpenerPolicy: 'Cross-Origin-Opener-Policy',
  crossOriginResourcePolicy: 'Cross-Origin-Resource-Policy',
  strictTransportSecurity: 'Strict-Transport-Security',
};

/**
 * Sets security response fields with safe defaults for HTML apps: nosniff,
 * `X-Frame-Options: SAMEORIGIN`, `Referrer-Policy: no-referrer`, COOP and CORP
 * `same-origin`; CSP and HSTS when you give them.
 *
 * @example
 * app.use(secureHeaders({ contentSecurityPolicy: "default-src 'self'; img-src 'self' data:" }));
 */
export function secureHeaders(options: SecureHeadersOptions = {}): Middleware<Context<any, any>> {
  const fields: Array<[string, string]> = [];
  for (const key of Object.keys(FIELD_NAMES) as Array<keyof SecureHeadersOptions>) {
    const value = options[key] ?? DEFAULT_SECURE_HEADERS[key];
    if (value === false) continue;
    // Checked once here, not per request (RFC 9110 §5.5: no CR, LF or NUL in a value).
    if (typeof value !== 'string' || value === '' || !isFieldValue(value)) throw new TypeError(`secureHeaders: invalid ${key}: ${String(value)}`);
    fields.push([FIELD_NAMES[key], value]);
  }
  return function secureHeadersMiddleware(ctx: Context<any, any>, next: Next): Promise<void> {
    const h = ctx.res.headers;
    for (const [name, value] of fields) h.set(name, value);
    return next();
  };
}
