/**
 * Peer: sirv on node:http (issue #5 part 5), the static server of Vite/Polka.
 *
 * `sirv(root)` in its default production mode (file list cached at start,
 * ETags on). sirv is optional: when it is not installed this peer exits with
 * status 3 and the harness skips the row instead of failing the run.
 */
import http from 'node:http';
import { commonOptions, announce } from './args.mjs';

/** Exit status that tells bench/run.mjs "peer not available, skip it". */
const EXIT_UNAVAILABLE = 3;

const opts = commonOptions();
if (!opts.root) throw new Error('sirv peer: --root DIR is required');
let sirv;
try { ({ default: sirv } = await import('sirv')); }
catch {
  process.stderr.write('sirv is not installed (npm i -D sirv); skipping\n');
  process.exit(EXIT_UNAVAILABLE);
}
const serve = sirv(opts.root, { etag: true });
const server = http.createServer((req, res) => serve(req, res, () => { res.writeHead(404).end(); }));
server.listen(opts.port, opts.host, () => announce('sirv', opts.host, opts.port));
process.on('SIGTERM', () => process.exit(0));
