/**
 * Peer: the naive node:net loop of DESIGN.md (an upper bound, not a server).
 *
 * Reads from the socket, counts requests by the `\r\n\r\n` that ends each
 * head (carrying a partial match across reads), and writes one fixed response
 * per request, all responses of one read in one write. It parses nothing,
 * ignores bodies and never closes: it shows what the socket layer costs, so
 * keel's overhead above it is visible. Never use it for anything else.
 */
import net from 'node:net';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';

const opts = commonOptions();
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ' + Buffer.byteLength(HELLO_BODY) +
    '\r\n\r\n' + HELLO_BODY,
);
/** The terminator of a request head (RFC 9112 §2.1): CR LF CR LF. */
const END = [13, 10, 13, 10];

const server = net.createServer((socket) => {
  let matched = 0; // how many bytes of END the previous read ended with
  socket.on('data', (chunk) => {
    let count = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === END[matched]) {
        if (++matched === 4) { count++; matched = 0; }
      } else {
        matched = b === 13 ? 1 : 0;
      }
    }
    if (count === 1) socket.write(RESPONSE);
    else if (count > 1) {
      const out = Buffer.allocUnsafe(RESPONSE.length * count);
      for (let k = 0; k < count; k++) RESPONSE.copy(out, k * RESPONSE.length);
      socket.write(out);
    }
  });
  socket.on('error', () => socket.destroy());
});
server.listen(opts.port, opts.host, () => announce('naive-net', opts.host, opts.port));
process.on('SIGTERM', () => process.exit(0));
