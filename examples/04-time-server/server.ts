/**
 * Step 4 of the tutorial: a time server, the first page that changes.
 *
 * Owns three ways to tell the time: `/` as HTML or JSON depending on the
 * Accept header (RFC 9110 §12.5.1; `Vary: Accept` tells caches), and
 * `/stream`, a clock pushed over Server-Sent Events: one response that never
 * ends, one `data:` event per second, stopped when the client leaves.
 *
 * Run:  node --import tsx examples/04-time-server/server.ts --port 8080
 * Try:  curl -H 'Accept: application/json' http://127.0.0.1:8080/
 *       curl -N http://127.0.0.1:8080/stream
 */
import { parseArgs } from 'node:util';
import { App, html } from 'keel';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'interval-ms': { type: 'string', default: '1000' },
  },
});
/** Time between two events of the stream. */
const intervalMs = Number(values['interval-ms']);

/** Stoppers of the open streams: a graceful shutdown ends them, or it would wait for them forever. */
const streams = new Set<() => void>();
const now = () => ({ iso: new Date().toISOString(), epochMs: Date.now() });

const app = new App();
app.get('/', (ctx) => {
  ctx.header('Vary', 'Accept');
  const accept = ctx.req.header('accept') ?? '';
  // A deliberately small negotiation: JSON only when asked for by name (the demo has the full one).
  if (/\bapplication\/json\b/i.test(accept) && !/\btext\/html\b/i.test(accept)) return ctx.json(now());
  return ctx.html(html`<!doctype html><html><head><meta charset="utf-8"><title>Time</title></head>
<body><h1>The time is <time datetime="${now().iso}">${now().iso}</time></h1>
<p>Reload for a new one, or watch <a href="/stream">/stream</a>.</p></body></html>`);
});

app.get('/stream', async (ctx) => {
  const res = ctx.res;
  res.headers.set('Content-Type', 'text/event-stream; charset=utf-8');
  res.headers.set('Cache-Control', 'no-store');
  const send = () => res.write(`data: ${JSON.stringify(now())}\n\n`); // first write sends the head, chunked
  send();
  await new Promise<void>((resolve) => {
    const timer = setInterval(send, intervalMs);
    const stop = () => {
      clearInterval(timer);
      streams.delete(stop);
      resolve();
    };
    streams.add(stop);
    res.onClose(stop); // the client left: stop ticking
  });
  if (!res.closed) res.end(); // shutting down: finish the chunked body properly
});

const server = await app.listen(Number(values.port), values.host);
console.log(`listening on http://${values.host}:${server.port}/`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const stop of [...streams]) stop();
    void server.close().then(() => process.exit(0));
  });
}
