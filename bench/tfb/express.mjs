/**
 * The six TechEmpower tests on Express 5, written per Express's docs: one
 * middleware for the Server field, `res.json` / `res.send`, defaults otherwise
 * (ETag and X-Powered-By stay on, as in a default Express app).
 *
 * Owns only the Express side; database access and the TFB rules are in
 * peer-common.mjs (the raw driver, as an Express user would call it). Express 5
 * forwards rejected promises of async handlers to its error handler. Must not
 * be tuned beyond what an Express user would write. Node adds Date.
 * Environment: PORT, HOST, DB or DATABASE_URL (see peer-common.mjs).
 */
import express from 'express';
import { exitOnSigterm, fortunesHtml, openStore, queryCount, settings, withAddedFortune } from './peer-common.mjs';

const env = settings();
const store = await openStore(env);
const app = express();

app.use((req, res, next) => {
  res.set('Server', 'Express');
  next();
});

app.get('/json', (req, res) => {
  res.json({ message: 'Hello, World!' });
});

app.get('/plaintext', (req, res) => {
  res.type('text/plain').send('Hello, World!');
});

app.get('/db', async (req, res) => {
  res.json(await store.world());
});

app.get('/queries', async (req, res) => {
  res.json(await store.worlds(queryCount(req.query.queries)));
});

app.get('/fortunes', async (req, res) => {
  const fortunes = withAddedFortune(await store.fortunes());
  res.type('html').send(fortunesHtml(fortunes));
});

app.get('/updates', async (req, res) => {
  res.json(await store.updateWorlds(queryCount(req.query.queries)));
});

const server = app.listen(env.port, env.host, () => process.stderr.write(`express tfb listening on ${env.host}:${env.port}\n`));
exitOnSigterm(async () => { await new Promise((r) => server.close(r)); await store.close(); });
