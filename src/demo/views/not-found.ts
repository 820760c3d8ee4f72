/**
 * The 404 page a browser sees: the site's layout and navigation, so a visitor
 * who followed a bad link has a way back (issue #13 item 9).
 *
 * Owns the 404 page's HTML. Must not show the request's path or anything else
 * from the request (STYLE.md rule 5: never echo request bytes).
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/** The HTML 404 page. */
export function notFoundView(): SafeHtml {
  return page(
    html`<h1>404 Not Found</h1>
<p>There is nothing at this address. keel answered with the status line
<code>HTTP/1.1 404 Not Found</code> and, because your browser asked for HTML, this page.
A program that asks for JSON (<code>Accept: application/json</code>) gets the same
404 as a JSON error object instead.</p>
<p>Go back to the <a href="/">home page</a>, or pick a part of the demo above.</p>`,
    { title: 'Not found', current: '' },
  );
}
