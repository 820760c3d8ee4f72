/**
 * Files and CGI controller: `/files/` (a browsable directory, keel's static
 * handler) and `/cgi-bin/` (keel's CGI/1.1 gateway over src/demo/cgi-bin/).
 *
 * Owns mounting the two handlers, the CGI index page, and dressing the static
 * handler's directory listings in the site's layout, so they have the
 * navigation bar like every other page (issue #13 item 9). The handlers do
 * all the protocol work (ranges, validators, listings, the dotfile and
 * symlink policies; the CGI environment, timeouts and limits); this file
 * wires them to paths and never reads the directories itself.
 * Must not run a CGI script the index does not list.
 */
import { raw, type App, type Context } from '../../app/index.js';
import { cgiHandler } from '../../handlers/cgi.js';
import { staticHandler } from '../../handlers/static.js';
import type { Request, ResponseWriter } from '../../server/handler.js';
import { DEMO_CSP } from '../security.js';
import { cgiIndexView, type CgiScript } from '../views/cgi.js';
import { listingView } from '../views/files.js';
import { navBar } from '../views/layout.js';
import type { DemoDeps } from './deps.js';
import { notFound } from './not-found.js';

/** Wall-clock limit for one demo CGI script run: they answer in milliseconds. */
export const DEMO_CGI_TIMEOUT_MS = 10_000;

/** The scripts of src/demo/cgi-bin/ shown on the index; only these run. */
export const CGI_SCRIPTS: readonly CgiScript[] = [
  { name: 'env.py', language: 'Python', description: 'prints its CGI environment and the fields of a GET or POST form' },
  { name: 'form.sh', language: 'bash', description: 'the same in a shell script: environment variables and a form, decoded by hand' },
];

/**
 * Environment variable holding the site's navigation bar (HTML) for the CGI
 * scripts: they print it, so their pages link back to the site; run outside
 * the demo they simply have none.
 */
export const CGI_NAV_VARIABLE = 'KEEL_DEMO_NAV';

/**
 * The part of a listing page the layout keeps: what is between <body> and
 * </body>. The static handler escapes every file name in it (handlers/listing.ts).
 * Undefined when the page has no body: it is then sent as the handler made it.
 */
function listingBody(page: string): string | undefined {
  const open = page.indexOf('<body>');
  const close = page.lastIndexOf('</body>');
  return open === -1 || close < open ? undefined : page.slice(open + '<body>'.length, close);
}

/**
 * A view of `target` in which the members of `overrides` replace its own and
 * everything else, reads and writes, goes to the target itself (its getters
 * must run on the target: they read its private fields).
 */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get: (t, prop) => {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
    set: (t, prop, value) => Reflect.set(t, prop, value, t),
  });
}

/**
 * `res` as the static handler sees it for a directory URL: its end(page) puts a
 * 200 HTML listing into the layout (`DEMO_CSP`, our page now) before sending it;
 * everything else passes through untouched.
 */
function dressingListings(res: ResponseWriter): ResponseWriter {
  const end = (chunk?: string | Uint8Array): void => {
    const isHtml = (res.headers.get('content-type') ?? '').startsWith('text/html');
    const body = chunk === undefined || res.status !== 200 || !isHtml ? undefined : listingBody(Buffer.from(chunk).toString('utf8'));
    if (body === undefined) return res.end(chunk);
    res.headers.delete('content-length');
    res.headers.set('Content-Security-Policy', DEMO_CSP);
    res.end(listingView(raw(body)).value);
  };
  return overriding(res, { end });
}

/**
 * `req` with method GET. A HEAD response carries the fields of the GET one
 * (RFC 9110 §9.3.2), Content-Length included, but the static handler writes no
 * listing for HEAD, so there would be nothing to dress and measure; asked as a
 * GET it writes the page, and the server still sends no body to a HEAD.
 */
function asGet(req: Request): Request {
  return overriding(req, { method: 'GET' });
}

/** Registers `/files/...` and `/cgi-bin/...`. */
export function filesRoutes(app: App, deps: DemoDeps): void {
  const files = staticHandler({
    root: deps.paths.filesDir,
    prefix: '/files',
    listing: true,
    // No index files: a directory URL is always the listing, which is what gets dressed.
    index: false,
    dotfiles: 'deny',
    // A missing file is the site's 404 page (or JSON), not the handler's plain text.
    onNotFound: () => {
      throw notFound();
    },
  });
  const serveFiles = (ctx: Context) => {
    if (!ctx.path.endsWith('/')) return files(ctx.req, ctx.res);
    return files(ctx.req.method === 'HEAD' ? asGet(ctx.req) : ctx.req, dressingListings(ctx.res));
  };
  app.all('/files', serveFiles);
  app.all('/files/*', serveFiles);

  const cgi = cgiHandler({
    root: deps.paths.cgiDir,
    prefix: '/cgi-bin',
    timeoutMs: DEMO_CGI_TIMEOUT_MS,
    env: { [CGI_NAV_VARIABLE]: navBar('/cgi-bin/').value },
    logger: (line) => deps.log(`cgi: ${line}`),
  });
  const listed = new Set(CGI_SCRIPTS.map((s) => s.name));
  app.get('/cgi-bin', (ctx) => ctx.redirect('/cgi-bin/', 301));
  app.get('/cgi-bin/', (ctx) => ctx.html(cgiIndexView(CGI_SCRIPTS)));
  app.all('/cgi-bin/*', (ctx) => {
    // ctx.path is decoded and normalized; the script is its first segment, PATH_INFO the rest.
    const script = ctx.path.slice('/cgi-bin/'.length).split('/', 1)[0]!;
    if (!listed.has(script)) throw notFound();
    return cgi(ctx.req, ctx.res);
  });
}
