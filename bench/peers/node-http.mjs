/**
 * Peer: node:http hello server (the baseline every ratio is quoted against).
 *
 * Answers every request with 200 `Hello, World!` text/plain and an explicit
 * Content-Length, as `keel hello` does. Node adds Date, Connection and
 * Keep-Alive itself. It must stay the plain, idiomatic node:http program:
 * no tuning beyond `--keep-alive-timeout-ms` (used by idle-memory.mjs so that
 * Node's 5 s default does not close the idle sockets being measured).
 */
import http from 'node:http';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';

const opts = commonOptions();
const body = Buffer.from(HELLO_BODY);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
});
if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
server.listen(opts.port, opts.host, () => announce('node:http', opts.host, opts.port));
process.on('SIGTERM', () => process.exit(0));
