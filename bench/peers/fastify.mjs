/**
 * Peer: Fastify hello server (fastify is a devDependency).
 *
 * One GET route on every path (`/*` plus `/`) answering 200 `Hello, World!`
 * text/plain, logger off, default options otherwise. Must not be tuned beyond
 * what a Fastify user would write.
 */
import Fastify from 'fastify';
import { commonOptions, announce, HELLO_BODY } from './args.mjs';

const opts = commonOptions();
const app = Fastify({ logger: false });
const hello = (_req, reply) => { reply.type('text/plain').send(HELLO_BODY); };
app.get('/', hello);
app.get('/*', hello);
await app.listen({ port: opts.port, host: opts.host });
announce('fastify', opts.host, opts.port);
process.on('SIGTERM', () => process.exit(0));
