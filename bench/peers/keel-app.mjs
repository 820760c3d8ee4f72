/**
 * Peer: keel's App with the 50 routes of routes.mjs (issue #4 part 7).
 *
 * Imports the built framework (`dist/app/index.js`, after `npm run build`),
 * registers the same table as fastify-routes.mjs on the default radix router,
 * and answers the benchmark path with `ctx.text('Hello, World!')`. No
 * middleware: this measures routing plus Context over the core.
 */
import { App } from '../../dist/app/index.js';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';
import { fillerRoutes, APP_HELLO_ROUTE, APP_ROUTE_COUNT } from './routes.mjs';

const opts = commonOptions();
const app = new App();
const filler = fillerRoutes();
for (const path of filler) app.get(path, (ctx) => ctx.text(path));
app.get(APP_HELLO_ROUTE, (ctx) => ctx.text(HELLO_BODY));
if (filler.length + 1 !== APP_ROUTE_COUNT) throw new Error('route table size drifted');
const server = await app.listen(opts.port, opts.host);
announce('keel App (50 routes)', opts.host, server.port);
process.on('SIGTERM', () => process.exit(0));
