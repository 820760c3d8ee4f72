/**
 * The batteries benchmark app on keel: compress() + cors() + session(), written the
 * way a keel user writes an app, on the public API only ('keel').
 *
 * Owns the keel side of bench/batteries (the content is content.mjs, shared with
 * fastify.mjs). Must not use keel internals or anything a user's app would not do.
 *
 * Middleware order: cors first (a preflight is answered there, before any session
 * work, as a browser's preflight carries no cookie), then compress (so it sees the
 * final body), then session (loaded before the handler, saved after it).
 *
 * session() is feature-detected: it is enabled when 'keel' exports `session`, and
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
// SESSION=off turns sessions off (run.mjs does so for both apps when keel has none).
const hasSession = typeof keel.session === 'function' && process.env.SESSION !== 'off';

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
  // Memory store (the default), signed with the App's keys; plain HTTP, so no Secure.
  app.use(keel.session({ secure: false }));
}

/** Counts this visit in the session (loaded before, saved after); 0 when sessions are off. */
function countVisit(ctx) {
  if (!hasSession) return 0;
  const visits = (ctx.session.get('visits') ?? 0) + 1;
  ctx.session.set('visits', visits);
  return visits;
}

app.get(PATHS.json, (ctx) => ctx.json({ visits: countVisit(ctx), items: ITEMS }));
app.get(PATHS.html, (ctx) => ctx.html(page(countVisit(ctx))));
app.get(PATHS.small, (ctx) => ctx.text(small(countVisit(ctx))));
app.put(PATHS.prefs, (ctx) => ctx.json({ visits: countVisit(ctx) }));

const host = process.env.HOST ?? '127.0.0.1';
const server = await app.listen(Number(process.env.PORT ?? 8080), host);
process.stderr.write(`keel batteries on ${host}:${server.port}: compress cors${hasSession ? ' session' : typeof keel.session === 'function' ? ' (session off: SESSION=off)' : ' (no session: keel does not export session yet)'}\n`);

process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
