/**
 * Step 3 of the tutorial: the raw server of step 2, on keel.
 *
 * Owns the same lesson as examples/02-raw-server (the page, its picture, a
 * form), written with keel's App. Compare the two files: the parsing,
 * framing, limits, keep-alive and error answers of step 2's hand-written
 * loop are now keel's job, and what is left is the application.
 *
 * Run:  node --import tsx examples/03-keel-hello/server.ts --port 8080
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { App, html } from 'keel';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
const jpeg = readFileSync(new URL('../../src/demo/public/test.jpg', import.meta.url));

const page = (posted: Array<[string, string]> | undefined) => html`<!doctype html>
<html><head><meta charset="utf-8"><title>Wow, a keel Server</title></head>
<body>
<h1>Wow, a keel Server!</h1>
<p>The same page as the raw socket server, now served by keel. The picture is a second request:</p>
<img src="test.jpg" alt="A sailboat with its keel under the water" width="160" height="120">
<form method="post" action="/"><input name="message" placeholder="Say something"> <button>Send</button></form>
${posted === undefined ? '' : html`<p>You posted:</p><ul>${posted.map(([k, v]) => html`<li>${k} = ${v}</li>`)}</ul>`}
</body></html>
`;

const app = new App();
app.use((ctx, next) => {
  console.log(`${ctx.req.method} ${ctx.req.target} HTTP/${ctx.req.version}`); // the tutorial's terminal output
  return next();
});
app.get('/', (ctx) => ctx.html(page(undefined)));
app.get('/test.jpg', (ctx) => ctx.send(jpeg, 'image/jpeg'));
app.post('/', async (ctx) => {
  const fields = await ctx.readForm(); // 415 for another body type, 413 when too large
  const pairs = Object.entries(fields).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(', ') : v]);
  ctx.html(page(pairs)); // `html` escapes every value
});

const server = await app.listen(Number(values.port), values.host);
console.log(`listening on http://${values.host}:${server.port}/`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
