/**
 * accessLog() (issue #16 item 5): Common, Combined and JSON lines; the final status of
 * error responses (a handler that throws, a 404); redaction of credentials in JSON; the
 * client address from a resolver (trusted proxies); in memory and over a real socket.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App } from '../../src/app/index.js';
import { accessLog, type AccessLogOptions } from '../../src/app/access-log.js';
import { requestId } from '../../src/app/request-id.js';
import { clientInfo } from '../../src/server/trusted-proxy.js';
import { exchange } from '../helpers/socket.js';

const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);
const DATE = '[02/Jan/2026:03:04:05 +0000]';

/** An app logging into an array; `next()` resolves with the next line written. */
function loggedApp(options: AccessLogOptions): { app: App; nextLine: () => Promise<string> } {
  const waiting: Array<(line: string) => void> = [];
  const lines: string[] = [];
  const app = new App({ onError: () => undefined });
  app.use(requestId({ generate: () => 'generated-id' }));
  app.use(
    accessLog({
      clock: () => NOW_MS,
      ...options,
      write: (line) => {
        const w = waiting.shift();
        if (w !== undefined) w(line);
        else lines.push(line);
      },
    }),
  );
  app.get('/', (ctx) => ctx.text('hello'));
  app.get('/boom', () => {
    throw new Error('handler bug');
  });
  app.get('/late', async (ctx, next) => {
    await next();
    ctx.text('late');
  });
  const nextLine = (): Promise<string> => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve)));
  return { app, nextLine };
}

describe('accessLog() formats, in memory', () => {
  const rows: Array<{ name: string; input: { options: AccessLogOptions; path: string; headers?: Record<string, string> }; want: string }> = [
    { name: 'common', input: { options: {}, path: '/' }, want: `127.0.0.1 - - ${DATE} "GET / HTTP/1.1" 200 5` },
    {
      name: 'combined adds Referer and User-Agent, escaped',
      input: { options: { format: 'combined' }, path: '/', headers: { referer: 'http://a/"x', 'user-agent': 'curl/8' } },
      want: `127.0.0.1 - - ${DATE} "GET / HTTP/1.1" 200 5 "http://a/\\x22x" "curl/8"`,
    },
    { name: 'combined without them writes "-"', input: { options: { format: 'combined' }, path: '/' }, want: `127.0.0.1 - - ${DATE} "GET / HTTP/1.1" 200 5 "-" "-"` },
    { name: 'a handler that throws is logged with the final 500', input: { options: {}, path: '/boom' }, want: `127.0.0.1 - - ${DATE} "GET /boom HTTP/1.1" 500 80` },
    { name: 'a 404 is logged', input: { options: {}, path: '/nowhere' }, want: `127.0.0.1 - - ${DATE} "GET /nowhere HTTP/1.1" 404 69` },
    {
      name: 'the client address comes from the resolver',
      input: { options: { clientAddress: () => '203.0.113.9' }, path: '/' },
      want: `203.0.113.9 - - ${DATE} "GET / HTTP/1.1" 200 5`,
    },
  ];
  for (const { name, input, want } of rows) {
    test(name, async () => {
      const { app, nextLine } = loggedApp(input.options);
      const res = await app.request(input.path, { headers: input.headers ?? {} });
      await res.arrayBuffer();
      assert.equal(await nextLine(), want);
    });
  }

  test('an unknown format is refused at setup', () => {
    assert.throws(() => accessLog({ format: 'apache' as never, write: () => undefined }), TypeError);
  });
});

describe('accessLog() JSON', () => {
  test('Caddy field names, request id, credentials redacted, duration from the clock', async () => {
    let now = NOW_MS;
    const { app, nextLine } = loggedApp({ format: 'json', clock: () => now });
    app.get('/login', (ctx) => {
      now += 250;
      ctx.setCookie('sid', 'secret-session').text('ok');
    });
    const res = await app.request('/login', {
      headers: { cookie: 'sid=old-secret', authorization: 'Bearer t0ken', 'proxy-authorization': 'Basic eA==', accept: 'text/plain' },
    });
    await res.arrayBuffer();
    const line = await nextLine();
    assert.doesNotMatch(line, /secret|t0ken|eA==/);
    const entry = JSON.parse(line) as Record<string, any>;
    assert.equal(entry.ts, (NOW_MS + 250) / 1000);
    assert.equal(entry.duration, 0.25);
    assert.equal(entry.status, 200);
    assert.equal(entry.size, 2);
    assert.equal(entry.request_id, 'generated-id');
    assert.equal(entry.msg, 'handled request');
    assert.deepEqual(
      { ...entry.request, headers: undefined },
      { remote_ip: '127.0.0.1', remote_port: entry.request.remote_port, client_ip: '127.0.0.1', proto: 'HTTP/1.1', method: 'GET', host: 'localhost', uri: '/login', headers: undefined },
    );
    assert.deepEqual(entry.request.headers.cookie, ['REDACTED']);
    assert.deepEqual(entry.request.headers.authorization, ['REDACTED']);
    assert.deepEqual(entry.request.headers['proxy-authorization'], ['REDACTED']);
    assert.deepEqual(entry.request.headers.accept, ['text/plain']);
    assert.deepEqual(entry.resp_headers['set-cookie'], ['REDACTED']);
    assert.deepEqual(entry.resp_headers['x-request-id'], ['generated-id']);
  });

  test('a quote or backslash in a field stays inside its JSON string (no forged fields)', async () => {
    const { app, nextLine } = loggedApp({ format: 'json' });
    const server = await app.listen(0, '127.0.0.1');
    try {
      await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a","status":1,\\"b\r\nConnection: close\r\n\r\n');
      const entry = JSON.parse(await nextLine());
      assert.deepEqual(entry.request.headers['user-agent'], ['a","status":1,\\"b']);
      assert.equal(entry.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('accessLog() over a real socket', () => {
  test('peer address from accept time, final status of a thrown error, trusted proxy resolver', async () => {
    const { app, nextLine } = loggedApp({
      format: 'combined',
      clientAddress: (req) => clientInfo(req, { trustedProxies: ['loopback'] }).ip,
    });
    const server = await app.listen(0, '127.0.0.1');
    try {
      await exchange(server.port, 'GET /boom HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\nConnection: close\r\n\r\n');
      assert.match(await nextLine(), /^198\.51\.100\.7 - - \[[^\]]+\] "GET \/boom HTTP\/1\.1" 500 80 "-" "-"$/);
      await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(await nextLine(), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 5 "-" "-"$/);
    } finally {
      await server.close();
    }
  });

  test('an untrusted peer cannot forge its address with X-Forwarded-For', async () => {
    const { app, nextLine } = loggedApp({ clientAddress: (req) => clientInfo(req, { trustedProxies: ['10.0.0.0/8'] }).ip });
    const server = await app.listen(0, '127.0.0.1');
    try {
      await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\nConnection: close\r\n\r\n');
      assert.match(await nextLine(), /^127\.0\.0\.1 - - /);
    } finally {
      await server.close();
    }
  });
});
