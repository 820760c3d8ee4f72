/**
 * Peer: node:http hello on node:cluster with `--workers N` (issue #8 part 5).
 *
 * The primary forks N workers that each run the same handler as
 * node-http.mjs; the primary distributes connections (round-robin, Node's
 * default on Linux). It must not restart workers: a crash is a failed run.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';

const opts = commonOptions();
if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < opts.workers; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++ready === opts.workers) announce(`node:http cluster x${opts.workers}`, opts.host, opts.port);
  });
  cluster.on('exit', (w, code) => {
    if (!stopping) { process.stderr.write(`worker ${w.process.pid} exited ${code}\n`); process.exit(1); }
  });
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const body = Buffer.from(HELLO_BODY);
  http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  }).listen(opts.port, opts.host);
  process.on('SIGTERM', () => process.exit(0));
}
