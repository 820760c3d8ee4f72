/**
 * The wire inspector's view: a request head and a response head, shown as
 * the bytes they are, with CR and LF made visible.
 *
 * Owns presenting raw HTTP text. Must not interpret or "pretty-print" it:
 * what is shown is what crossed the socket (see controllers/inspect.ts).
 * Also the WebSocket inspector's page, whose contents public/inspect-ws.js
 * fills in from the reports the server sends over the socket.
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
or <code>Sec-Fetch-*</code> fields appear as your browser's context changes.</p>
<p>And after the HTTP: <a href="/inspect/ws">the WebSocket inspector</a> shows a connection
switching protocols, and the frames that follow.</p>`,
    { title: 'Wire inspector', current: '/inspect' },
  );
}

/** The WebSocket inspector page: filled in by public/inspect-ws.js from the server's reports. */
export function inspectWsView(): SafeHtml {
  return page(
    html`<h1>The WebSocket inspector</h1>
<p>HTTP asks and answers; a WebSocket stays open and either side may speak at any time (RFC 6455).
This page opened one to <code>/inspect/ws/echo</code>. It starts as an HTTP request asking to
<em>upgrade</em>; keel answers <code>101 Switching Protocols</code>, and from then on the same TCP
connection carries frames instead of requests. The server sent this handshake back to the page:</p>
<p id="ws-status" class="live-status">Connecting...</p>
<pre id="ws-request" class="wire"></pre>
<pre id="ws-response" class="wire"></pre>
<p>Send a message: keel reports each frame it arrived in (the header fields, and the start of
the payload), then echoes it in a frame of its own. The browser's frames are <em>masked</em>
(MASK 1: XORed with a random key, so a proxy cannot mistake them for HTTP, RFC 6455 §10.3); the
server's are not. Opcode 1 is text, 2 binary, 8 close, 9 ping, 10 pong; FIN 1 ends a message.</p>
<form id="ws-form" class="entry-form">
<label>Message <input id="ws-text" name="text" value="Hello, keel!" maxlength="1000"></label>
<button type="submit" name="kind" value="text">Send as text</button>
<button type="submit" name="kind" value="binary" id="ws-send-binary">Send as binary</button>
</form>
<div class="table-scroll"><table class="frames">
<thead><tr><th>Direction</th><th>FIN</th><th>RSV1</th><th>Opcode</th><th>MASK</th><th>Length</th><th>Payload (start)</th></tr></thead>
<tbody id="ws-frames"></tbody>
</table></div>`,
    { title: 'WebSocket inspector', current: '/inspect', scripts: ['/inspect-ws.js'] },
  );
}
