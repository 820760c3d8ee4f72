/**
 * Step 1 of the tutorial: a TCP echo server on node:net.
 *
 * Owns nothing but this lesson: bind, listen, accept, then send every byte a
 * client sends straight back. There is no HTTP here yet: a TCP connection is
 * just two byte streams, and this is the smallest server that shows it.
 *
 * Run:  node --import tsx examples/01-tcp-echo/server.ts --port 7000
 * Try:  node --import tsx examples/01-tcp-echo/client.ts --port 7000 "hello"
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '7000' }, host: { type: 'string', default: '127.0.0.1' } } });

const server = createServer((socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`connection from ${peer}`);
  // pipe() is the whole echo: what we read, we write back, with backpressure.
  socket.pipe(socket);
  socket.on('error', () => {}); // a client vanishing mid-write is normal, not fatal
  socket.on('close', () => console.log(`closed ${peer}`));
});

server.listen(Number(values.port), values.host, () => {
  const addr = server.address();
  if (addr !== null && typeof addr === 'object') console.log(`listening on ${addr.address}:${addr.port}`);
});

// Ctrl-C or `kill`: stop accepting, let open connections finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
