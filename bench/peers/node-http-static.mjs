/**
 * Peer: node:http + fs.createReadStream static server (issue #5 part 5).
 *
 * The handwritten static server a Node user writes: decode the path once,
 * refuse anything outside the root, stat, send Content-Type, Content-Length
 * and Last-Modified, then pipe a read stream. No caching, ETag or ranges:
 * it is the floor keel must beat (2x on 1 KiB), not a feature peer.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { commonOptions, announce } from './args.mjs';

const opts = commonOptions();
if (!opts.root) throw new Error('node-http-static: --root DIR is required');
const root = path.resolve(opts.root);
/** A tiny MIME table for the benchmark files; the default is octet-stream. */
const TYPES = { '.txt': 'text/plain; charset=utf-8', '.html': 'text/html; charset=utf-8', '.bin': 'application/octet-stream' };

const server = http.createServer((req, res) => {
  let rel;
  try { rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); }
  catch { res.writeHead(400).end(); return; }
  const file = path.join(root, rel);
  if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Last-Modified': st.mtime.toUTCString(),
    });
    if (req.method === 'HEAD') { res.end(); return; }
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
});
server.listen(opts.port, opts.host, () => announce('node:http static', opts.host, opts.port));
process.on('SIGTERM', () => process.exit(0));
