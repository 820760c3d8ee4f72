/**
 * The demo's security headers: Content-Security-Policy, framing, sniffing, referrers.
 *
 * Owns the two policies and the middleware that sets them on every response
 * (issue #12 item 13). The demo's own pages (views/, the CGI scripts' output,
 * the /files/ listings dressed in the layout, error pages) get `DEMO_CSP`;
 * files under /files/ are served as they are on disk, so they get
 * `FILES_CSP`, which runs no script at all: a file dropped into that
 * directory must not act with the site's origin (read a form's CSRF token,
 * post to the guestbook).
 * Framing: `frame-ancestors 'none'` is the rule browsers apply (CSP Level 2+,
 * and it takes precedence over X-Frame-Options, CSP3 §6.4.2); `X-Frame-Options:
 * DENY` (RFC 7034) is sent as well for browsers without frame-ancestors and for
 * any response whose CSP a handler might replace. They say the same thing.
 * Must not: allow inline script or style (the views have none), or a source
 * other than the site itself.
 */
import type { Context, Middleware } from '../app/index.js';

/**
 * Content-Security-Policy of the demo's own pages: only same-origin scripts,
 * styles and images, no framing, forms only to ourselves. The views have no
 * inline script or style, so nothing needs 'unsafe-inline'.
 */
export const DEMO_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/**
 * Content-Security-Policy of the files under /files/: images and stylesheets from
 * the site, nothing else (no script, no plugin, no form), and `sandbox` (CSP3
 * §6.3.2), which gives an HTML file an opaque origin: even a script that got in
 * could not use the site's cookies or read its pages.
 */
export const FILES_CSP =
  "default-src 'none'; img-src 'self'; style-src 'self'; media-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox";

/** True for paths served from the /files/ directory as they are. */
function isFilesPath(path: string): boolean {
  return path === '/files' || path.startsWith('/files/');
}

/** Sets the security headers of a demo response; a page dressed later in the layout switches to `DEMO_CSP`. */
export function securityHeaders(): Middleware<Context> {
  return (ctx, next) => {
    const h = ctx.res.headers;
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'same-origin');
    h.set('X-Frame-Options', 'DENY');
    h.set('Content-Security-Policy', isFilesPath(ctx.path) ? FILES_CSP : DEMO_CSP);
    return next();
  };
}
