/**
 * Home controller: the tutorial page and its assets (test.jpg, style.css, the scripts).
 *
 * Owns the routes `/`, the public files and `/favicon.ico`. The image is served by keel's
 * static handler (ETag, Last-Modified, Range) from src/demo/public/.
 */
import type { App } from '../../app/index.js';
import { staticHandler } from '../../handlers/static.js';
import { homeView } from '../views/home.js';
import type { DemoDeps } from './deps.js';

/** The files of src/demo/public/ the pages use. */
export const PUBLIC_FILES = ['/test.jpg', '/style.css', '/clock.js', '/favicon.svg', '/guestbook-live.js', '/inspect-ws.js'] as const;

/** Registers `/` and the public files. */
export function homeRoutes(app: App, deps: DemoDeps): void {
  const files = staticHandler({ root: deps.paths.publicDir, index: false, dotfiles: 'deny' });
  app.get('/', (ctx) => ctx.html(homeView({ dialect: deps.db.dialect })));
  for (const path of PUBLIC_FILES) app.get(path, (ctx) => files(ctx.req, ctx.res));
  // Browsers ask for /favicon.ico on pages that do not name an icon (CGI output, listings).
  app.get('/favicon.ico', (ctx) => ctx.redirect('/favicon.svg', 301));
}
