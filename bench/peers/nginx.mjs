/**
 * Peer: nginx from Debian, configured for the benchmark (issue #5 part 5).
 *
 * Writes an nginx.conf into a fresh temp dir and runs `nginx -p DIR -c ...`
 * in the foreground (`daemon off`, one worker, listening on 127.0.0.1 only),
 * so the harness's process-group SIGTERM stops it and this wrapper removes
 * the dir. `--mode static --root DIR` serves files with sendfile on;
 * `--mode hello` answers `Hello, World!` from a `return 200`. It must never
 * touch /etc/nginx or the system service.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';

/** Exit status that tells bench/run.mjs "peer not available, skip it". */
const EXIT_UNAVAILABLE = 3;
/** nginx's per-worker connection cap; above the 5,000 idle connections of idle-memory.mjs. */
const WORKER_CONNECTIONS = 16384;
/**
 * Requests per keep-alive connection before nginx closes it. nginx's default
 * (1000) makes wrk reconnect every 1000 requests; node:http and keel have no
 * such cap by default, so it is raised to keep the comparison about serving.
 */
const KEEPALIVE_REQUESTS = 1000000;
const NGINX = '/usr/sbin/nginx';

const opts = commonOptions();
const mode = opts.args.mode ?? (opts.root ? 'static' : 'hello');
if (!fs.existsSync(NGINX)) {
  process.stderr.write('nginx is not installed (apt-get install -y nginx); skipping\n');
  process.exit(EXIT_UNAVAILABLE);
}
if (mode === 'static' && !opts.root) throw new Error('nginx peer: --root DIR is required in static mode');

const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-nginx-'));
fs.chmodSync(prefix, 0o755);
const location = mode === 'static'
  ? `root ${path.resolve(opts.root)};`
  : `location / { default_type text/plain; return 200 '${HELLO_BODY}'; }`;
const conf = `
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections ${WORKER_CONNECTIONS}; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests ${KEEPALIVE_REQUESTS};
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen ${opts.host}:${opts.port};
    ${location}
  }
}
`;
const confPath = path.join(prefix, 'nginx.conf');
fs.writeFileSync(confPath, conf);

const child = spawn(NGINX, ['-p', prefix, '-c', confPath], { stdio: ['ignore', 'inherit', 'inherit'] });
const cleanup = () => fs.rmSync(prefix, { recursive: true, force: true });
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(signal === 'SIGTERM' || stopping ? 0 : code ?? 1);
});
let stopping = false;
process.on('SIGTERM', () => { stopping = true; child.kill('SIGTERM'); });
process.on('SIGINT', () => { stopping = true; child.kill('SIGTERM'); });
announce(`nginx (${mode})`, opts.host, opts.port);
