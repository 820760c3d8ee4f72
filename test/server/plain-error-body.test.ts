// The one plain-text error body (issue #14 item 5; docs/errors.md "Error bodies") over real
// sockets, from every writer that answers an error without the App: the Connection before any
// handler ran (#writeErrorAndClose), the Connection after a handler threw (#handlerFailed), the
// static handler's and the CGI gateway's sendStatus. Before the switch the Connection sent the
// reason alone ("Bad Request\n"), and for an unregistered status "Error\n" or an empty line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cgiHandler } from '../../src/handlers/cgi.js';
import { staticHandler } from '../../src/handlers/static.js';
import type { Handler } from '../../src/server/handler.js';
import { Server } from '../../src/server/server.js';
import { ProtocolError } from '../../src/wire/errors.js';
import { exchange } from '../helpers/socket.js';

/** A fixed clock, so the Date field is part of the exact bytes. */
const clock = (): number => Date.UTC(2026, 0, 1);
const D = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

const rows: Array<{ name: string; input: { handler: Handler; request: string }; want: string }> = [
  {
    name: 'Connection, before any handler ran: a malformed request line',
    input: { handler: (_req, res) => res.end('ok'), request: 'NOT HTTP\r\n\r\n' },
    want:
      'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n' +
      `${D}\r\n400 Bad Request\n`,
  },
  {
    name: 'Connection, a handler that threw',
    input: {
      handler: () => {
        throw new Error('secret detail');
      },
      request: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    },
    want:
      'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `${D}Content-Length: 26\r\nConnection: close\r\n\r\n500 Internal Server Error\n`,
  },
  {
    // The status line keeps an empty reason (RFC 9112 §4); the body names the class (RFC 9110 §15).
    name: 'Connection, a handler that threw a ProtocolError with an unregistered status',
    input: {
      handler: () => {
        throw new ProtocolError('secret detail', 'ERR_TEST', 499);
      },
      request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    },
    want:
      'HTTP/1.1 499 \r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `${D}Content-Length: 17\r\nConnection: close\r\n\r\n499 Client Error\n`,
  },
  {
    name: 'static handler, a missing file',
    input: { handler: staticHandler({ root: FIXTURES }), request: 'GET /no-such-file HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' },
    want:
      'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
      `${D}Content-Length: 14\r\nConnection: close\r\n\r\n404 Not Found\n`,
  },
  {
    name: 'CGI gateway, a path outside its prefix',
    input: {
      handler: cgiHandler({ root: `${FIXTURES}cgi-bin`, prefix: '/cgi-bin' }),
      request: 'GET /elsewhere HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    },
    want:
      'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `${D}Content-Length: 14\r\nConnection: close\r\n\r\n404 Not Found\n`,
  },
];

for (const { name, input, want } of rows) {
  test(`plain-text error body: ${name}`, async () => {
    const server = new Server(input.handler, { clock, onError: () => {} });
    await server.listen(0, '127.0.0.1');
    try {
      // Every row's answer closes the connection (an error before dispatch, or Connection: close).
      const { text } = await exchange(server.port, input.request);
      assert.equal(text, want);
      assert.ok(!text.includes('secret'), 'an error message is never sent');
    } finally {
      await server.close();
    }
  });
}
