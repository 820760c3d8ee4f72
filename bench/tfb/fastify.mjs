/**
 * The six TechEmpower tests on Fastify 5, written per Fastify's docs: routes
 * with response schemas (so replies are serialised by fast-json-stringify),
 * an onRequest hook for the Server field, logger off, defaults otherwise.
 *
 * Owns only the Fastify side; database access and the TFB rules are in
 * peer-common.mjs (the raw driver, as a Fastify user would call it). Must not
 * be tuned beyond what a Fastify user would write. Node adds Date.
 * Environment: PORT, HOST, DB or DATABASE_URL (see peer-common.mjs).
 */
import Fastify from 'fastify';
import { exitOnSigterm, fortunesHtml, openStore, queryCount, settings, withAddedFortune } from './peer-common.mjs';

const env = settings();
const store = await openStore(env);
const app = Fastify({ logger: false });

app.addHook('onRequest', (request, reply, done) => {
  reply.header('server', 'Fastify');
  done();
});

const world = {
  type: 'object',
  properties: { id: { type: 'integer' }, randomNumber: { type: 'integer' } },
};
const worldList = { type: 'array', items: world };
const queriesSchema = { querystring: { type: 'object', properties: { queries: { type: 'string' } } }, response: { 200: worldList } };

app.get('/json', {
  schema: { response: { 200: { type: 'object', properties: { message: { type: 'string' } } } } },
}, async () => ({ message: 'Hello, World!' }));

app.get('/plaintext', (request, reply) => {
  reply.type('text/plain').send('Hello, World!');
});

app.get('/db', { schema: { response: { 200: world } } }, async () => store.world());

app.get('/queries', { schema: queriesSchema }, async (request) => store.worlds(queryCount(request.query.queries)));

app.get('/fortunes', async (request, reply) => {
  const fortunes = withAddedFortune(await store.fortunes());
  reply.type('text/html; charset=utf-8');
  return fortunesHtml(fortunes);
});

app.get('/updates', { schema: queriesSchema }, async (request) => store.updateWorlds(queryCount(request.query.queries)));

await app.listen({ port: env.port, host: env.host });
process.stderr.write(`fastify tfb listening on ${env.host}:${env.port}\n`);
exitOnSigterm(async () => { await app.close(); await store.close(); });
