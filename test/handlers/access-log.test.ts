// Tests for src/handlers/access-log.ts (issue #14 item 6): the CLF access log as a plain
// Handler wrapper, usable without the CLI: exact lines over a real socket, and batching.
// (The `keel serve` flags that turn it on stay tested in test/cli/serve.test.ts.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/handler.js';
import { batchedLineWriter, clfDate, clfLine, escapeLogField, withAccessLog } from '../../src/handlers/access-log.js';
import { MemoryRequest } from '../../src/app/inject.js';
import { exchange } from '../helpers/socket.js';
import { table } from '../helpers/table.js';

const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);
const DATE = '[02/Jan/2026:03:04:05 +0000]';

table(
  'clfLine',
  [
    { name: 'body bytes', input: { method: 'GET', target: '/a?b=1', status: 200, bytes: 12 }, want: `127.0.0.1 - - ${DATE} "GET /a?b=1 HTTP/1.1" 200 12` },
    { name: 'no body is "-"', input: { method: 'GET', target: '/', status: 204, bytes: 0 }, want: `127.0.0.1 - - ${DATE} "GET / HTTP/1.1" 204 -` },
    { name: 'a quote and CRLF in the target cannot forge a field or a line', input: { method: 'GET', target: '/"x\r\nforged', status: 404, bytes: 3 }, want: `127.0.0.1 - - ${DATE} "GET /\\x22x\\x0d\\x0aforged HTTP/1.1" 404 3` },
  ],
  (input) => clfLine(new MemoryRequest({ method: input.method, target: input.target }), input.status, input.bytes, NOW_MS),
);

test('clfDate is the CLF timestamp in UTC, and escapeLogField leaves printable ASCII alone', () => {
  assert.equal(clfDate(NOW_MS), DATE);
  assert.equal(escapeLogField('GET /plain HTTP/1.1'), 'GET /plain HTTP/1.1');
});

describe('withAccessLog over a socket', () => {
  const handler: Handler = (req, res) => {
    if (req.path === '/stream') {
      res.write('abc');
      res.end('defg');
    } else if (req.path === '/cached') {
      res.status = 304;
      res.end();
    } else res.end('hello');
  };

  const rows = [
    { name: 'write + end bytes are summed', input: 'GET /stream HTTP/1.1', want: `"GET /stream HTTP/1.1" 200 7` },
    { name: 'HEAD logs "-" whatever the handler passed (RFC 9110 §9.3.2)', input: 'HEAD / HTTP/1.1', want: `"HEAD / HTTP/1.1" 200 -` },
    { name: '304 logs "-" (RFC 9110 §15.4.5)', input: 'GET /cached HTTP/1.1', want: `"GET /cached HTTP/1.1" 304 -` },
    { name: 'end(body)', input: 'GET / HTTP/1.1', want: `"GET / HTTP/1.1" 200 5` },
  ];
  for (const { name, input, want } of rows) {
    test(name, async () => {
      const lines: string[] = [];
      let onLine!: () => void;
      const logged = new Promise<void>((resolve) => (onLine = resolve));
      const log = (line: string): void => {
        lines.push(line);
        onLine();
      };
      const server = new Server(withAccessLog(handler, log, () => NOW_MS), { onError: () => undefined });
      await server.listen(0, '127.0.0.1');
      try {
        await exchange(server.port, `${input}\r\nHost: x\r\nConnection: close\r\n\r\n`);
        await logged;
      } finally {
        await server.close();
      }
      assert.deepEqual(lines, [`127.0.0.1 - - ${DATE} ${want}`]);
    });
  }
});

describe('batchedLineWriter', () => {
  test('lines of one event-loop turn leave in one write, in order', async () => {
    const writes: string[] = [];
    let wrote!: () => void;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        writes.push(chunk.toString());
        wrote();
        cb();
      },
    });
    const log = batchedLineWriter(stream);
    log('one');
    log('two');
    log('three');
    assert.deepEqual(writes, [], 'nothing is written in the same turn');
    await written;
    assert.deepEqual(writes, ['one\ntwo\nthree\n']);
  });
});
