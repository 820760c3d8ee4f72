/**
 * Peer: Fastify with the same 50 routes as keel-app.mjs (issue #4 part 7).
 *
 * Registers routes.mjs's table; the benchmark hits a parameter route that
 * answers 200 `Hello, World!` text/plain. Logger off, defaults otherwise.
 */
import Fastify from 'fastify';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';
import { fillerRoutes, APP_HELLO_ROUTE, APP_ROUTE_COUNT } from './routes.mjs';

const opts = commonOptions();
const app = Fastify({ logger: false });
const filler = fillerRoutes();
for (const path of filler) app.get(path, (_req, reply) => { reply.type('text/plain').send(path); });
app.get(APP_HELLO_ROUTE, (_req, reply) => { reply.type('text/plain').send(HELLO_BODY); });
if (filler.length + 1 !== APP_ROUTE_COUNT) throw new Error('route table size drifted');
await app.listen({ port: opts.port, host: opts.host });
announce('fastify (50 routes)', opts.host, opts.port);
process.on('SIGTERM', () => process.exit(0));
