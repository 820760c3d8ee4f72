/**
 * The six TechEmpower tests on Hono 4 served by @hono/node-server, written per
 * Hono's docs: a middleware for the Server field, `c.json` / `c.text`, and the
 * fortunes page with Hono's own `html` helper (it escapes interpolated values).
 *
 * Owns only the Hono side; database access and the TFB rules are in
 * peer-common.mjs (the raw driver, as a Hono user would call it). Must not be
 * tuned beyond what a Hono user would write. Node adds Date.
 * Environment: PORT, HOST, DB or DATABASE_URL (see peer-common.mjs).
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { serve } from '@hono/node-server';
import { exitOnSigterm, openStore, queryCount, settings, withAddedFortune } from './peer-common.mjs';

const env = settings();
const store = await openStore(env);
const app = new Hono();

app.use(async (c, next) => {
  c.header('Server', 'Hono');
  await next();
});

app.get('/json', (c) => c.json({ message: 'Hello, World!' }));

app.get('/plaintext', (c) => c.text('Hello, World!'));

app.get('/db', async (c) => c.json(await store.world()));

app.get('/queries', async (c) => c.json(await store.worlds(queryCount(c.req.query('queries')))));

app.get('/fortunes', async (c) => {
  const fortunes = withAddedFortune(await store.fortunes());
  return c.html(html`<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${fortunes.map(
    (f) => html`<tr><td>${f.id}</td><td>${f.message}</td></tr>`,
  )}</table></body></html>`);
});

app.get('/updates', async (c) => c.json(await store.updateWorlds(queryCount(c.req.query('queries')))));

const server = serve({ fetch: app.fetch, port: env.port, hostname: env.host }, () =>
  process.stderr.write(`hono tfb listening on ${env.host}:${env.port}\n`));
exitOnSigterm(async () => { await new Promise((r) => server.close(r)); await store.close(); });
