// Tests for src/server/head-cache.ts: one server's last response head, reused only when equal (issue #14 item 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMap } from '../../src/wire/header-map.js';
import { ResponseHeadCache } from '../../src/server/head-cache.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const DATE = 'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n';
const LEN = 'Content-Length: 2\r\n';

function fields(...pairs: string[]): HeaderMap {
  const h = new HeaderMap();
  for (let i = 0; i < pairs.length; i += 2) h.append(pairs[i], pairs[i + 1]);
  return h;
}

test('an equal head is the same string again; any difference builds a new one', () => {
  const cache = new ResponseHeadCache();
  const first = cache.build(OK, fields('Content-Type', 'text/plain'), DATE, LEN, '');
  assert.equal(first, `${OK}Content-Type: text/plain\r\n${DATE}${LEN}\r\n`);
  assert.equal(cache.build(OK, fields('Content-Type', 'text/plain'), DATE, LEN, ''), first);
  const rows: ReadonlyArray<{ name: string; input: Parameters<ResponseHeadCache['build']>; want: string }> = [
    { name: 'field value', input: [OK, fields('Content-Type', 'text/html'), DATE, LEN, ''], want: `${OK}Content-Type: text/html\r\n${DATE}${LEN}\r\n` },
    { name: 'no fields', input: [OK, undefined, DATE, LEN, ''], want: `${OK}${DATE}${LEN}\r\n` },
    { name: 'connection line', input: [OK, undefined, DATE, LEN, 'Connection: close\r\n'], want: `${OK}${DATE}${LEN}Connection: close\r\n\r\n` },
    { name: 'status', input: ['HTTP/1.1 404 Not Found\r\n', undefined, DATE, LEN, 'Connection: close\r\n'], want: `HTTP/1.1 404 Not Found\r\n${DATE}${LEN}Connection: close\r\n\r\n` },
  ];
  for (const row of rows) assert.equal(cache.build(...row.input), row.want, row.name);
});

