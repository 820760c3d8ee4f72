/**
 * Step 1 of the tutorial: the TCP echo client on node:net.
 *
 * Connects, sends one message, half-closes its side (FIN: "I am done
 * sending"), prints everything the server sends back until the server closes
 * too, then exits. The half-close is how the echo server learns the message
 * is complete: TCP has no message boundaries, only a byte stream and its end.
 *
 * Run:  node --import tsx examples/01-tcp-echo/client.ts --port 7000 "hello"
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { port: { type: 'string', default: '7000' }, host: { type: 'string', default: '127.0.0.1' } },
  allowPositionals: true,
});
const message = positionals.join(' ') || 'Hello, echo!';

const socket = connect(Number(values.port), values.host, () => {
  socket.end(message); // write, then FIN
});
const chunks: Buffer[] = [];
socket.on('data', (chunk: Buffer) => chunks.push(chunk));
socket.on('end', () => {
  console.log(Buffer.concat(chunks).toString('utf8'));
});
socket.on('error', (err) => {
  console.error(`echo client: ${err.message}`);
  process.exitCode = 1;
});
