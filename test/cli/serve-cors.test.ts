// `keel serve --cors` (src/cli/serve.ts): the static handler wrapped by the one CORS implementation
// (withCors with STATIC_CORS_OPTIONS, src/semantics/cors.ts). Pins what it answers, so moving the
// static handler's own `cors` option onto the same implementation (issue #14 item 5) leaves it as it
// was: any origin, the file server's expose list, and a preflight answered 204 on any path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServeHandler, parseServeArgs } from '../../src/cli/serve.js';
import { Server } from '../../src/server/server.js';
import { makeTree, request, type Tree } from '../fixtures/static/harness.js';

const EXPOSE = 'Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified';
const ANSWER = { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE };
const PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range',
  'access-control-max-age': '86400',
};
const ORIGIN = { Origin: 'https://app.example' };
const ASK = { ...ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' };

let tree: Tree;
let server: Server;
before(async () => {
  tree = makeTree();
  server = new Server(buildServeHandler(parseServeArgs([tree.root, '--cors'])), { onError: () => {} });
  await server.listen(0, '127.0.0.1');
});
after(async () => {
  await server.close();
  tree.cleanup();
});

const rows: Array<{ name: string; input: { method: string; path: string; headers: Record<string, string> }; want: { status: number; fields: Record<string, string> } }> = [
  { name: 'a file requested with Origin', input: { method: 'GET', path: '/hello.txt', headers: ORIGIN }, want: { status: 200, fields: ANSWER } },
  { name: 'a request without Origin: no CORS fields', input: { method: 'GET', path: '/hello.txt', headers: {} }, want: { status: 200, fields: {} } },
  { name: 'a 404', input: { method: 'GET', path: '/missing.txt', headers: ORIGIN }, want: { status: 404, fields: ANSWER } },
  { name: 'a listing', input: { method: 'GET', path: '/docs/', headers: ORIGIN }, want: { status: 200, fields: ANSWER } },
  { name: 'a preflight to a file', input: { method: 'OPTIONS', path: '/hello.txt', headers: ASK }, want: { status: 204, fields: PREFLIGHT } },
  { name: 'a preflight to a missing path', input: { method: 'OPTIONS', path: '/missing.txt', headers: ASK }, want: { status: 204, fields: PREFLIGHT } },
];

for (const { name, input, want } of rows) {
  test(`keel serve --cors: ${name}`, async () => {
    const r = await request(server.port, input.method, input.path, input.headers);
    const fields = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));
    assert.deepEqual({ status: r.status, fields }, want);
  });
}
