/**
 * The demo's page layout: head, navigation and footer around every page.
 *
 * Owns the HTML frame shared by all views. Uses the app's `html` template, so
 * every interpolated value is escaped. Must not contain inline scripts or
 * styles: the demo's Content-Security-Policy allows only same-origin files.
 */
import { html, type SafeHtml } from '../../app/index.js';

/** The parts of the site, in navigation order: [path, label]. */
export const NAV: ReadonlyArray<readonly [string, string]> = [
  ['/', 'Home'],
  ['/time', 'Time'],
  ['/guestbook', 'Guestbook'],
  ['/files/', 'Files'],
  ['/cgi-bin/', 'CGI'],
  ['/inspect', 'Wire inspector'],
];

/** Options of `page()`. */
export interface PageProps {
  /** The <title> (" · keel" is appended). */
  title: string;
  /** Path of the current page, to mark its navigation link. */
  current: string;
  /** Extra same-origin scripts, loaded with `defer`. */
  scripts?: readonly string[];
}

/**
 * The site's navigation bar, `current` marked with aria-current. Also handed to
 * the CGI scripts (controllers/files.ts) so their pages link back to the site.
 */
export function navBar(current: string): SafeHtml {
  return html`<nav>${NAV.map(([href, label]) =>
    href === current ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`,
  )}</nav>`;
}

/** Wraps page content in the site's layout. */
export function page(content: SafeHtml, props: PageProps): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${props.title} · keel</title>
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${(props.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
${navBar(props.current)}
<main>
${content}
</main>
<footer>Served by keel, an HTTP/1.1 server written from the TCP socket up.</footer>
</body>
</html>
`;
}
