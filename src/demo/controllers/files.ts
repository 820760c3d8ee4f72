/**
 * Files and CGI controller: `/files/` (a browsable directory, keel's static
 * handler) and `/cgi-bin/` (keel's CGI/1.1 gateway over src/demo/cgi-bin/).
 *
 * Owns mounting the two handlers and the CGI index page. The handlers do
 * all the protocol work (ranges, validators, listings; the CGI environment,
 * timeouts and limits); this file only wires them to paths.
 */
import type { App } from '../../app/index.js';
import { cgiHandler } from '../../handlers/cgi.js';
import { staticHandler } from '../../handlers/static.js';
import { cgiIndexView, type CgiScript } from '../views/cgi.js';
import type { DemoDeps } from './deps.js';

/** Wall-clock limit for one demo CGI script run: they answer in milliseconds. */
export const DEMO_CGI_TIMEOUT_MS = 10_000;

/** The scripts of src/demo/cgi-bin/ shown on the index. */
export const CGI_SCRIPTS: readonly CgiScript[] = [
  { name: 'env.py', language: 'Python', description: 'prints its CGI environment and the fields of a GET or POST form' },
  { name: 'form.sh', language: 'bash', description: 'the same in a shell script: environment variables and a form, decoded by hand' },
];

/** Registers `/files/...` and `/cgi-bin/...`. */
export function filesRoutes(app: App, deps: DemoDeps): void {
  const files = staticHandler({ root: deps.paths.filesDir, prefix: '/files', listing: true, dotfiles: 'deny' });
  app.all('/files', (ctx) => files(ctx.req, ctx.res));
  app.all('/files/*', (ctx) => files(ctx.req, ctx.res));

  const cgi = cgiHandler({
    root: deps.paths.cgiDir,
    prefix: '/cgi-bin',
    timeoutMs: DEMO_CGI_TIMEOUT_MS,
    logger: (line) => deps.log(`cgi: ${line}`),
  });
  app.get('/cgi-bin', (ctx) => ctx.redirect('/cgi-bin/', 301));
  app.get('/cgi-bin/', (ctx) => ctx.html(cgiIndexView(CGI_SCRIPTS)));
  app.all('/cgi-bin/*', (ctx) => cgi(ctx.req, ctx.res));
}
