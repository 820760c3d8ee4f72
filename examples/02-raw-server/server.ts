/**
 * Step 2 of the tutorial: a web server on the raw socket API, in one file.
 *
 * Owns the lesson "HTTP is text over TCP": accept a connection, read bytes
 * until the blank line that ends the head (RFC 9112 §2.1), split the request
 * line (§3), print it, and write back a status line, a few headers and a body.
 * The page embeds an image, so a browser makes a second request for it.
 * GET and POST (a small form whose fields are shown back, HTML-escaped).
 *
 * Deliberately NOT a real server: one request per connection (Connection:
 * close), no chunked bodies, no keep-alive, no pipelining. keel is what
 * handles those; compare examples/03-keel-hello.
 *
 * Run:  node --import tsx examples/02-raw-server/server.ts --port 8080
 */
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Largest request head we buffer before answering 431 (like a small nginx large_client_header_buffers). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Largest POST body we accept before answering 413. */
const MAX_BODY_BYTES = 64 * 1024;

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
const jpeg = readFileSync(new URL('../../src/demo/public/test.jpg', import.meta.url));

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(posted: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Wow, a Raw Socket Server</title></head>
<body>
<h1>Wow, a Raw Socket Server!</h1>
<p>This page was written to a TCP socket by hand. The picture is a second request:</p>
<img src="test.jpg" alt="A sailboat with its keel under the water" width="160" height="120">
<form method="post" action="/"><input name="message" placeholder="Say something"> <button>Send</button></form>
${posted}</body></html>
`;
}

/** Writes one whole response and closes the connection (HTTP/1.0 style, RFC 9112 §9.6). */
function respond(socket: Socket, status: string, type: string, body: Buffer | string, extra = ''): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  socket.removeAllListeners('data'); // one request per connection: ignore whatever else arrives
  socket.end(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n${extra}Connection: close\r\n\r\n`, 'latin1'),
      bytes,
    ]),
  );
}

function handle(socket: Socket, head: string, body: Buffer): void {
  const [requestLine = '', ...fieldLines] = head.split('\r\n');
  console.log(requestLine); // what the tutorial prints: the browser's request, as it arrives
  const [method, target, version] = requestLine.split(' ');
  if (method === undefined || target === undefined || !/^HTTP\/1\.[01]$/.test(version ?? '')) {
    return respond(socket, '400 Bad Request', 'text/plain', 'bad request line\n');
  }
  const path = target.split('?')[0];
  if (path === '/' && method === 'GET') return respond(socket, '200 OK', 'text/html; charset=utf-8', page(''));
  if (path === '/test.jpg' && method === 'GET') return respond(socket, '200 OK', 'image/jpeg', jpeg);
  if (path === '/' && method === 'POST') {
    const isForm = fieldLines.some((l) => /^content-type:\s*application\/x-www-form-urlencoded/i.test(l));
    const fields = isForm ? [...new URLSearchParams(body.toString('utf8'))] : [];
    const list = fields.map(([k, v]) => `<li>${escapeHtml(k)} = ${escapeHtml(v)}</li>`).join('');
    return respond(socket, '200 OK', 'text/html; charset=utf-8', page(`<p>You posted:</p><ul>${list}</ul>\n`));
  }
  if (path === '/' || path === '/test.jpg') return respond(socket, '405 Method Not Allowed', 'text/plain', 'method not allowed\n', `Allow: ${path === '/' ? 'GET, POST' : 'GET'}\r\n`);
  return respond(socket, '404 Not Found', 'text/plain', 'not found\n');
}

const server = createServer((socket) => {
  let buffered = Buffer.alloc(0);
  let head: string | undefined;
  let bodyLength = 0;
  socket.on('error', () => {}); // a browser closing early is not our crash
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (head === undefined) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buffered.length > MAX_HEAD_BYTES) respond(socket, '431 Request Header Fields Too Large', 'text/plain', 'head too large\n');
        return;
      }
      head = buffered.subarray(0, end).toString('latin1');
      buffered = buffered.subarray(end + 4);
      // The body's length comes from Content-Length (RFC 9112 §6.2); no header means no body here.
      const match = /\r\ncontent-length:\s*(\d+)\s*(\r\n|$)/i.exec(`\r\n${head.split('\r\n').slice(1).join('\r\n')}`);
      bodyLength = match ? Number(match[1]) : 0;
      if (bodyLength > MAX_BODY_BYTES) return respond(socket, '413 Content Too Large', 'text/plain', 'body too large\n');
    }
    if (buffered.length >= bodyLength) handle(socket, head, buffered.subarray(0, bodyLength));
  });
});

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  if (addr !== null && typeof addr === 'object') console.log(`listening on http://${addr.address}:${addr.port}/`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
