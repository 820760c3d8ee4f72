/**
 * The home page: the tutorial's original page ("Wow, ... Server" and its
 * picture), and a map of every other part of the demo.
 *
 * Owns the home page's HTML. Must not compute anything: the controller passes data.
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/**
 * The requests a browser makes for the home page on a first visit: the page, then
 * the files it names (the stylesheet and icon in the layout, the picture here).
 * The page lists them; test/demo/app.test.ts checks that list against the HTML.
 */
export const HOME_REQUESTS: readonly string[] = ['/', '/style.css', '/test.jpg', '/favicon.svg'];

/** What the home page shows about the running server. */
export interface HomeProps {
  /** 'sqlite' or 'postgres': where the guestbook lives. */
  dialect: string;
}

/** The home page. */
export function homeView(props: HomeProps): SafeHtml {
  return page(
    html`<h1>Wow, a keel Server!</h1>
<p>This page travelled over a TCP socket: keel read your browser's request line and
headers, and wrote back a status line, a few headers and this HTML. The HTML names three
more files, the stylesheet, the picture below and the icon of the tab, and your browser
asks for each with a request of its own. The terminal running keel prints one request
line per request, so a first visit shows four:</p>
<pre id="request-lines" class="terminal">${HOME_REQUESTS.map((path) => `GET ${path} HTTP/1.1\n`)}</pre>
<p>The last three may come in another order, and on a reload some may be missing: the
browser kept a copy and did not ask again, or only asked whether it changed
(<code>If-None-Match</code>, answered <code>304 Not Modified</code>).</p>
<p><img id="boat" src="test.jpg" alt="A sailboat on the sea, its keel under the water line" width="160" height="120"></p>
<h2>The tutorial, step by step</h2>
<ol class="steps">
<li><a href="/time">The time server</a>: a dynamic page, as HTML or JSON depending on
<code>Accept</code>, and a live clock over Server-Sent Events.</li>
<li><a href="/guestbook">The guestbook</a>: the "LAMP" step as model, views and
controllers on ${props.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}, with validation,
CSRF protection, escaping and pagination.</li>
<li><a href="/files/">Static files</a>: a browsable directory, like
<code>python -m http.server</code>.</li>
<li><a href="/cgi-bin/">CGI scripts</a>: a Python and a shell script run by keel's
CGI/1.1 gateway, printing their environment and handling a form.</li>
<li><a href="/inspect">The wire inspector</a>: the exact bytes your browser just sent,
and the response head keel sends back.</li>
</ol>
<p>Every step also exists as a small program in <code>examples/</code>, from a TCP echo
server on <code>node:net</code> to this guestbook.</p>`,
    { title: 'Wow, a keel Server!', current: '/' },
  );
}
