/**
 * Step 7 of the tutorial: the WebSocket echo of raw-server.ts, on keel.
 *
 * Owns the same lesson as raw-server.ts, written with keel's `app.ws()`.
 * Compare the two files: the handshake, framing, masking, fragments, UTF-8
 * checks, ping/pong, the close handshake and the limits are now keel's job
 * (docs/websocket.md); what is left is the application: here, an echo and a
 * topic that tells every other client someone joined.
 *
 * Run:  node --import tsx examples/07-websocket/server.ts --port 8080
 */
import { parseArgs } from 'node:util';
import { App } from 'keel';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });

const app = new App();
app.use((ctx, next) => {
  console.log(`${ctx.req.method} ${ctx.req.target} HTTP/${ctx.req.version}`); // the upgrade is an HTTP request first
  return next();
});
app.ws('/', {
  open(ws) {
    ws.subscribe('lobby');
    ws.publish('lobby', 'someone joined'); // to every other subscriber, framed once
  },
  message(ws, data, isBinary) {
    ws.send(data, { binary: isBinary }); // text back as text, binary as binary
  },
});

const server = await app.listen(Number(values.port), values.host);
console.log(`listening on ws://${values.host}:${server.port}/`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
