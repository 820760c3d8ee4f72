/**
 * The batteries benchmark app on keel: compress() + cors() + session(), written the
 * way a keel user writes an app, on the public API only ('keel').
 *
 * Owns the keel side of bench/batteries (the content is content.mjs, shared with
 * fastify.mjs). Must not use keel internals or anything a user's app would not do.
 *
 * Middleware order: cors first (a preflight is answered there, before any session
 * work, as a browser's preflight carries no cookie), then compress (so it sees the
 * final body), then session (loaded when the handler first uses it, saved after).
 *
 * session() is feature-detected: it is enabled when 'keel' exports `session` and
 * `memorySessionStore` (the API of the sessions branch, #16 item 4), and
 * the line printed at start-up says which batteries are on, so a report can never
 * claim sessions that did not run. Environment: PORT (default 8080), HOST
 * (default 127.0.0.1), SESSION=off to leave sessions out.
 */
import * as keel from 'keel';
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

const { App, compress, cors } = keel;
/** Whether this keel has sessions: session() and its memory store (the sessions branch's API, #16 item 4). */
const keelHasSession = typeof keel.session === 'function' && typeof keel.memorySessionStore === 'function';
// SESSION=off turns sessions off (run.mjs does so for both apps when keel has none).
const hasSession = keelHasSession && process.env.SESSION !== 'off';

const app = new App({ keys: [SESSION_SECRET] });

app.use(cors({
  origin: [ALLOWED_ORIGIN],
  credentials: true,
  allowMethods: CORS_METHODS,
  allowHeaders: CORS_ALLOW_HEADERS,
  maxAgeSeconds: CORS_MAX_AGE_SECONDS,
}));
// gzip: zlib's default level (6); keel's compress() does not make it configurable.
app.use(compress({ brotliQuality: BROTLI_QUALITY, brotliWindowBits: BROTLI_WINDOW_BITS }));
if (hasSession) {
  // The memory store, the cookie signed with the App's keys (Secure only over https, by itself).
  app.use(keel.session({ store: keel.memorySessionStore() }));
}

/** Counts this visit in the session (loaded on first use, saved after the chain); 0 when sessions are off. */
async function countVisit(ctx) {
  if (!hasSession) return 0;
  const visits = ((await ctx.session.get('visits')) ?? 0) + 1;
  await ctx.session.set('visits', visits);
  return visits;
}

app.get(PATHS.json, async (ctx) => ctx.json({ visits: await countVisit(ctx), items: ITEMS }));
app.get(PATHS.html, async (ctx) => ctx.html(page(await countVisit(ctx))));
app.get(PATHS.small, async (ctx) => ctx.text(small(await countVisit(ctx))));
app.put(PATHS.prefs, async (ctx) => ctx.json({ visits: await countVisit(ctx) }));

const host = process.env.HOST ?? '127.0.0.1';
const server = await app.listen(Number(process.env.PORT ?? 8080), host);
process.stderr.write(`keel batteries on ${host}:${server.port}: compress cors${hasSession ? ' session' : keelHasSession ? ' (session off: SESSION=off)' : ' (no session: keel does not export session() and memorySessionStore() yet)'}\n`);

process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
