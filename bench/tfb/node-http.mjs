/**
 * The six TechEmpower tests on raw node:http: the floor of what a Node server
 * with the same driver costs, and the baseline of the second ratio column.
 *
 * Owns one request listener that switches on the path, sets Server,
 * Content-Type and Content-Length itself and writes the body with `end`
 * (node:http adds Date). Database access and the TFB rules are in
 * peer-common.mjs. Must stay the plain program a node:http user writes: no
 * cached responses, no tuning of the server object.
 * Environment: PORT, HOST, DB or DATABASE_URL (see peer-common.mjs).
 */
import http from 'node:http';
import { exitOnSigterm, fortunesHtml, openStore, queryCount, settings, withAddedFortune } from './peer-common.mjs';

const env = settings();
const store = await openStore(env);

function send(res, type, body) {
  res.writeHead(200, { Server: 'node', 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
const sendJson = (res, value) => send(res, 'application/json', JSON.stringify(value));

async function handle(req, res) {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const queries = () => queryCount(new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)).get('queries'));
  switch (path) {
    case '/json': return sendJson(res, { message: 'Hello, World!' });
    case '/plaintext': return send(res, 'text/plain', 'Hello, World!');
    case '/db': return sendJson(res, await store.world());
    case '/queries': return sendJson(res, await store.worlds(queries()));
    case '/fortunes': return send(res, 'text/html; charset=utf-8', fortunesHtml(withAddedFortune(await store.fortunes())));
    case '/updates': return sendJson(res, await store.updateWorlds(queries()));
    default:
      res.writeHead(404, { Server: 'node', 'Content-Type': 'text/plain', 'Content-Length': 9 });
      res.end('Not Found');
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`node-http tfb: ${err.stack}\n`);
    if (!res.headersSent) res.writeHead(500, { Server: 'node', 'Content-Length': 0 });
    res.end();
  });
});
server.listen(env.port, env.host, () => process.stderr.write(`node:http tfb listening on ${env.host}:${env.port}\n`));
exitOnSigterm(async () => { await new Promise((r) => server.close(r)); await store.close(); });
