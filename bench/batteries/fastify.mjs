/**
 * The batteries benchmark app on Fastify 5 with @fastify/cors, @fastify/compress,
 * @fastify/cookie and @fastify/session, written per their READMEs: plugins
 * registered with options only where the shared settings (content.mjs) or plain
 * HTTP require one, a response schema on the JSON routes (Fastify's documented way
 * to serialise), logger off.
 *
 * Owns the Fastify side of bench/batteries. Must not be tuned beyond what a Fastify
 * user would write. Environment: PORT (default 8080), HOST (default 127.0.0.1),
 * SESSION=off to leave @fastify/cookie and @fastify/session out.
 *
 * Settings made equal to keel's: brotli quality 4 (@fastify/compress's default too)
 * and an 18-bit window (its default is zlib's 22); gzip at zlib's default level (6)
 * on both; threshold 1024 bytes (the default of both); encodings br then gzip (keel's
 * set; @fastify/compress would also offer deflate). Session: the default memory
 * store; `saveUninitialized: false` so a cookie-less request (a preflight) does not
 * create and store a session (the README recommends it to save storage); the cookie
 * is not Secure (plain HTTP, as the README says to set).
 */
import zlib from 'node:zlib';
import Fastify from 'fastify';
import fastifyCompress from '@fastify/compress';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifySession from '@fastify/session';
import {
  ALLOWED_ORIGIN,
  BROTLI_QUALITY,
  BROTLI_WINDOW_BITS,
  CORS_ALLOW_HEADERS,
  CORS_MAX_AGE_SECONDS,
  CORS_METHODS,
  ITEMS,
  PATHS,
  SESSION_SECRET,
  page,
  small,
} from './content.mjs';

const app = Fastify({ logger: false });

await app.register(fastifyCors, {
  origin: [ALLOWED_ORIGIN],
  credentials: true,
  methods: CORS_METHODS,
  allowedHeaders: CORS_ALLOW_HEADERS,
  maxAge: CORS_MAX_AGE_SECONDS,
});
await app.register(fastifyCompress, {
  encodings: ['br', 'gzip'],
  brotliOptions: {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
    },
  },
});
// SESSION=off leaves sessions out, to match a keel that has none (run.mjs sets it for both).
const hasSession = process.env.SESSION !== 'off';
if (hasSession) {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SESSION_SECRET,
    saveUninitialized: false,
    cookie: { secure: false },
  });
}

/** Counts this visit in the session (loaded before, saved after); 0 when sessions are off. */
function countVisit(request) {
  if (!hasSession) return 0;
  const visits = (request.session.get('visits') ?? 0) + 1;
  request.session.set('visits', visits);
  return visits;
}

const item = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    price: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    inStock: { type: 'boolean' },
  },
};

app.get(PATHS.json, {
  schema: { response: { 200: { type: 'object', properties: { visits: { type: 'integer' }, items: { type: 'array', items: item } } } } },
}, async (request) => ({ visits: countVisit(request), items: ITEMS }));

app.get(PATHS.html, async (request, reply) => {
  reply.type('text/html; charset=utf-8');
  return page(countVisit(request));
});

app.get(PATHS.small, async (request, reply) => {
  reply.type('text/plain; charset=utf-8');
  return small(countVisit(request));
});

app.put(PATHS.prefs, {
  schema: { response: { 200: { type: 'object', properties: { visits: { type: 'integer' } } } } },
}, async (request) => ({ visits: countVisit(request) }));

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
await app.listen({ port, host });
process.stderr.write(`fastify batteries on ${host}:${port}: compress cors${hasSession ? ' session' : ' (session off: SESSION=off)'}\n`);

process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
