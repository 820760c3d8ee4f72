/**
 * The wire inspector's view: a request head and a response head, shown as
 * the bytes they are, with CR and LF made visible.
 *
 * Owns presenting raw HTTP text. Must not interpret or "pretty-print" it:
 * what is shown is what crossed the socket (see controllers/inspect.ts).
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/** The two heads to show, as latin1 strings of their exact bytes. */
export interface InspectProps {
  requestHead: string;
  responseHead: string;
  /** Names of fields whose values were hidden (cookies, credentials). */
  redacted: readonly string[];
}

/** Shows CR and LF as visible symbols, keeping the line breaks. */
function showBytes(text: string): SafeHtml {
  const lines = text.split('\r\n');
  return html`${lines.slice(0, -1).map((l) => html`<span class="line">${l}<span class="crlf">\\r\\n</span></span>\n`)}`;
}

/** The inspector page. */
export function inspectView(props: InspectProps): SafeHtml {
  return page(
    html`<h1>The wire inspector</h1>
<p>The tutorial's lesson: look at what the browser really sends. This is the request your
browser sent for this page, rebuilt from the request line and the header fields exactly as
keel received them (${Buffer.byteLength(props.requestHead, 'latin1')} bytes; keel trims
spaces around field values, RFC 9112 §5).${props.redacted.length > 0 ? html` Values of ${props.redacted.join(', ')} are hidden: they are secrets your browser keeps from scripts.` : ''}</p>
<pre id="request-head" class="wire">${showBytes(props.requestHead)}</pre>
<p>And this is the response head keel sends before the HTML you are reading
(${Buffer.byteLength(props.responseHead, 'latin1')} bytes). It is computed before sending and is
byte for byte what goes on the wire; for that, this page sets its own <code>Date</code> and
<code>Content-Length</code> and asks keel to close the connection afterwards.</p>
<pre id="response-head" class="wire">${showBytes(props.responseHead)}</pre>
<p>Reload, or follow a link back here, and compare: new <code>Cookie</code>, <code>Referer</code>
or <code>Sec-Fetch-*</code> fields appear as your browser's context changes.</p>`,
    { title: 'Wire inspector', current: '/inspect' },
  );
}
