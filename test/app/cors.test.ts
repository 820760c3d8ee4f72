/**
 * cors() and withCors() (issue #16 item 3): the one CORS implementation, through
 * app.request(), over a real socket, and as `keel serve --cors` wires it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, HttpError, type RunningServer } from '../../src/app/index.js';
import { cors, DEFAULT_CORS_MAX_AGE_SECONDS, type CorsOptions } from '../../src/app/cors.js';
import { buildServeHandler, parseServeArgs } from '../../src/cli/serve.js';
import { Server } from '../../src/server/server.js';
import { exchange } from '../helpers/socket.js';
import { tempDir } from '../helpers/tmp.js';

const FIXED_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';
const APP = 'https://app.example';
const EVIL = 'https://evil.example';

function corsApp(options: CorsOptions): App {
  const app = new App({ onError: () => undefined });
  app.use(cors(options));
  app.get('/data', (ctx) => ctx.header('X-Total', '3').json([1, 2, 3]));
  app.get('/fail', () => {
    throw new HttpError(403, 'Forbidden');
  });
  return app;
}

type Want = { status: number; fields: Record<string, string | null>; routed?: boolean };
const rows: Array<{ name: string; input: { options: CorsOptions; method?: string; path?: string; headers: Record<string, string> }; want: Want }> = [
  {
    name: 'default: any origin gets "*" and no Vary',
    input: { options: {}, headers: { origin: EVIL } },
    want: { status: 200, fields: { 'access-control-allow-origin': '*', vary: null, 'access-control-allow-credentials': null } },
  },
  {
    name: 'no Origin: no CORS fields',
    input: { options: { origin: [APP] }, headers: {} },
    want: { status: 200, fields: { 'access-control-allow-origin': null, vary: 'Origin' } },
  },
  {
    name: 'allow-list: a listed origin is reflected, with credentials and exposed headers',
    input: { options: { origin: [APP], credentials: true, exposeHeaders: ['X-Total'] }, headers: { origin: APP } },
    want: {
      status: 200,
      fields: { 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'X-Total', vary: 'Origin' },
    },
  },
  {
    name: 'allow-list: another origin gets nothing (the browser blocks the read)',
    input: { options: { origin: [APP], credentials: true }, headers: { origin: EVIL } },
    want: { status: 200, fields: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null, vary: 'Origin' } },
  },
  {
    name: 'one origin as a string',
    input: { options: { origin: APP }, headers: { origin: APP } },
    want: { status: 200, fields: { 'access-control-allow-origin': APP, vary: 'Origin' } },
  },
  {
    name: 'a function decides per request',
    input: { options: { origin: (o) => o.endsWith('.app.example') }, headers: { origin: 'https://eu.app.example' } },
    want: { status: 200, fields: { 'access-control-allow-origin': 'https://eu.app.example' } },
  },
  {
    name: 'error responses carry the fields too (the script can read the error)',
    input: { options: { origin: [APP] }, path: '/fail', headers: { origin: APP } },
    want: { status: 403, fields: { 'access-control-allow-origin': APP } },
  },
  {
    name: 'preflight: 204 with methods, reflected request headers, max age; routes not run',
    input: {
      options: { origin: [APP] },
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-token' },
    },
    want: {
      status: 204,
      fields: {
        'access-control-allow-origin': APP,
        'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
        'access-control-allow-headers': 'content-type, x-token',
        'access-control-max-age': String(DEFAULT_CORS_MAX_AGE_SECONDS),
        vary: 'Origin, Access-Control-Request-Headers',
        allow: null,
      },
    },
  },
  {
    name: 'preflight with configured headers and max age',
    input: {
      options: { allowHeaders: ['Content-Type'], allowMethods: ['GET', 'POST'], maxAgeSeconds: 600 },
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-other' },
    },
    want: {
      status: 204,
      fields: { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'Content-Type', 'access-control-max-age': '600' },
    },
  },
  {
    name: 'preflight from a disallowed origin: 204 without CORS fields',
    input: { options: { origin: [APP] }, method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'GET' } },
    want: { status: 204, fields: { 'access-control-allow-origin': null, 'access-control-allow-methods': null } },
  },
  {
    name: 'a plain OPTIONS (no Access-Control-Request-Method) reaches the router',
    input: { options: {}, method: 'OPTIONS', headers: { origin: APP } },
    want: { status: 204, fields: { allow: 'GET, HEAD, OPTIONS', 'access-control-allow-origin': '*', 'access-control-allow-methods': null } },
  },
];

describe('cors() in memory', () => {
  for (const r of rows) {
    test(r.name, async () => {
      const res = await corsApp(r.input.options).request(r.input.path ?? '/data', { method: r.input.method ?? 'GET', headers: r.input.headers });
      assert.equal(res.status, r.want.status);
      for (const [k, v] of Object.entries(r.want.fields)) assert.equal(res.headers.get(k), v, k);
    });
  }

  test('credentials with any origin is refused when cors() is called', () => {
    assert.throws(() => cors({ credentials: true }), /credentials need an origin list/);
    assert.throws(() => cors({ maxAgeSeconds: -1 }), RangeError);
  });
});

describe('cors() over a real socket', () => {
  let server: RunningServer;
  before(async () => {
    server = await corsApp({ origin: [APP] }).listen(0, '127.0.0.1', { serverOptions: { clock: () => FIXED_MS } });
  });
  after(() => server.close());

  test('preflight: exact bytes', async () => {
    const { text } = await exchange(
      server.port,
      `OPTIONS /data HTTP/1.1\r\nHost: x\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(
      text,
      'HTTP/1.1 204 No Content\r\nVary: Origin\r\nAccess-Control-Allow-Origin: https://app.example\r\n' +
        'Access-Control-Allow-Methods: GET, HEAD, PUT, PATCH, POST, DELETE\r\nAccess-Control-Max-Age: 7200\r\n' +
        DATE + 'Connection: close\r\n\r\n',
    );
  });
});

describe('keel serve --cors uses the same implementation', () => {
  let dir: string;
  let server: Server;
  before(async () => {
    dir = tempDir('serve-cors');
    writeFileSync(join(dir, 'a.txt'), 'hello');
    server = new Server(buildServeHandler(parseServeArgs([dir, '--cors'])), { clock: () => FIXED_MS });
    await server.listen(0, '127.0.0.1');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a file: "*" and the exposed fields a script needs for ranges and validators', async () => {
    const { text } = await exchange(server.port, `GET /a.txt HTTP/1.1\r\nHost: x\r\nOrigin: ${EVIL}\r\nConnection: close\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nAccess-Control-Allow-Origin: \*\r\n/);
    assert.match(text, /\r\nAccess-Control-Expose-Headers: Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified\r\n/);
    assert.equal(text.match(/Access-Control-Allow-Origin/g)?.length, 1);
  });

  test('a preflight: 204, file methods, range and conditional request fields, one day', async () => {
    const { text } = await exchange(
      server.port,
      `OPTIONS /a.txt HTTP/1.1\r\nHost: x\r\nOrigin: ${EVIL}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(
      text,
      'HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n' +
        'Access-Control-Allow-Headers: Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range\r\n' +
        'Access-Control-Max-Age: 86400\r\n' + DATE + 'Connection: close\r\n\r\n',
    );
  });
});
