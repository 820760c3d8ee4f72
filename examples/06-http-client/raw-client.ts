/**
 * Step 6 of the tutorial, part 1: an HTTP client on the raw socket API, in one file.
 *
 * Owns the lesson "a client is the server's mirror": connect, write a request
 * line, a Host field and a blank line (RFC 9112 §3), then read bytes until the
 * blank line that ends the response head, split the status line and the
 * fields, and read exactly Content-Length bytes of body (RFC 9112 §6.3).
 *
 * Deliberately NOT a real client: no chunked bodies, no keep-alive (it asks
 * the server to close), no limits, no timeouts, and it trusts whatever the
 * server says. keel's Client does all of that; compare client.ts.
 *
 * Run:  node --import tsx examples/06-http-client/raw-client.ts --port 8080 --path /
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, path: { type: 'string', default: '/' } },
});

const socket = connect(Number(values.port), values.host, () => {
  socket.write(`GET ${values.path} HTTP/1.1\r\nHost: ${values.host}:${values.port}\r\nConnection: close\r\n\r\n`);
});

let buffered = Buffer.alloc(0);
let bodyLength = -1; // unknown until the head is complete
let headEnd = -1;
socket.on('data', (chunk: Buffer) => {
  buffered = Buffer.concat([buffered, chunk]);
  if (headEnd === -1) {
    headEnd = buffered.indexOf('\r\n\r\n'); // the blank line that ends the head
    if (headEnd === -1) return; // not all of the head yet
    const [statusLine, ...fieldLines] = buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    console.log(statusLine); // e.g. "HTTP/1.1 200 OK"
    for (const line of fieldLines) {
      console.log(line);
      const [name, value] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()];
      if (name.toLowerCase() === 'content-length') bodyLength = Number(value);
    }
    console.log();
    if (bodyLength === -1) {
      console.error('raw client: no Content-Length (chunked?): this toy stops here; keel\'s Client reads every framing');
      socket.destroy();
      process.exitCode = 1;
      return;
    }
  }
  const body = buffered.subarray(headEnd + 4);
  if (body.length >= bodyLength) {
    process.stdout.write(body.subarray(0, bodyLength));
    socket.destroy(); // we have the whole response
  }
});
socket.on('error', (err) => {
  console.error(`raw client: ${err.message}`);
  process.exitCode = 1;
});
