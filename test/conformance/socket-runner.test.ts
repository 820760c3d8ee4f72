// The own conformance runner judges what it is given (issue #13 item 6): its response parser on
// exact bytes, its delivery splits, and verdicts against tiny scripted servers that answer wrongly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { deliveryPieces, parseResponses, runCase, type SocketCase } from './socket-runner.js';

const parseRows = [
  {
    name: 'two length-framed responses',
    input: { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', isClosed: false },
    want: { statuses: [200, 404], bodies: ['hi', ''], interims: 0, error: undefined, isIncomplete: false },
  },
  {
    name: 'an interim 100 then a chunked response with a trailer',
    input: { bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n', isClosed: false },
    want: { statuses: [200], bodies: ['abc'], interims: 1, error: undefined, isIncomplete: false },
  },
  {
    name: 'a body cut short while open is incomplete',
    input: { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab', isClosed: false },
    want: { statuses: [], bodies: [], interims: 0, error: undefined, isIncomplete: true },
  },
  {
    name: 'a body cut short by a close is an error',
    input: { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab', isClosed: true },
    want: { statuses: [], bodies: [], interims: 0, error: 'truncated response body (2 of 5 bytes)', isIncomplete: false },
  },
  {
    name: 'no framing: the body runs to the close',
    input: { bytes: 'HTTP/1.0 200 OK\r\n\r\nuntil close', isClosed: true },
    want: { statuses: [200], bodies: ['until close'], interims: 0, error: undefined, isIncomplete: false },
  },
  {
    name: 'garbage instead of a status line',
    input: { bytes: 'hello\r\n', isClosed: false },
    want: { statuses: [], bodies: [], interims: 0, error: 'unparseable response bytes at offset 0: "hello\\r\\n"', isIncomplete: false },
  },
];
for (const { name, input, want } of parseRows) {
  test(`parseResponses: ${name}`, () => {
    const got = parseResponses(Buffer.from(input.bytes, 'latin1'), input.isClosed);
    assert.deepEqual(
      { statuses: got.finals.map((r) => r.status), bodies: got.finals.map((r) => r.body.toString('latin1')), interims: got.interims.length, error: got.error, isIncomplete: got.isIncomplete },
      want,
    );
  });
}

test('deliveryPieces: whole is one piece; bytewise one byte each; split cuts after every CR, pieces of 1..9 bytes, the same on every run', () => {
  const data = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.deepEqual(deliveryPieces(data, 'whole', 'x'), [data]);
  assert.equal(deliveryPieces(data, 'bytewise', 'x').length, data.length);
  const split = deliveryPieces(data, 'split', 'case-id');
  assert.deepEqual(Buffer.concat(split), data);
  assert.ok(split.every((p) => p.length >= 1 && p.length <= 9));
  for (const p of split) assert.ok(!p.subarray(0, -1).includes(0x0d), 'a CR only ever ends a piece');
  assert.deepEqual(deliveryPieces(data, 'split', 'case-id'), split);
});

/** A server that answers each connection with `answer(socket, bytesSoFar)` as bytes arrive. */
async function scripted(answer: (socket: Socket, received: string) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let received = '';
    socket.on('data', (d) => {
      received += d.toString('latin1');
      answer(socket, received);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const ECHO_OF_GET = {
  echo: { method: 'GET', uri: '/', version: '1.1', headers: [['Host', 'example.com']], body: '' },
};
const acceptCase: SocketCase = {
  id: 'accept',
  category: 't',
  level: 'must',
  description: 'a plain GET is echoed',
  request: 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n',
  expect: [{ name: 'accept', responses: [ECHO_OF_GET as never] }],
};
const rejectCase: SocketCase = { ...acceptCase, id: 'reject', expect: [{ name: 'reject', responses: [{ reject: {} }] }] };
const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
const echoBody = JSON.stringify({ method: b64('GET'), uri: b64('/'), version: b64('HTTP/1.1'), headers: [[b64('Host'), b64('example.com')]], body: '', trailers: [] });
const okResponse = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${echoBody.length}\r\n\r\n${echoBody}`;

const verdictRows = [
  { name: 'a correct echo passes', input: { c: acceptCase, answer: okResponse, close: false }, want: { isPassed: true, reason: '' } },
  {
    name: 'a 400 where an echo is due fails',
    input: { c: acceptCase, answer: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', close: true },
    want: { isPassed: false, reason: 'response #1: expected an echo (status 200), got 400' },
  },
  {
    name: 'an echo where a rejection is due fails',
    input: { c: rejectCase, answer: okResponse, close: false },
    want: { isPassed: false, reason: 'response #1: expected a rejection (4xx/5xx), got 200' },
  },
  { name: 'a bare close counts as a rejection', input: { c: rejectCase, answer: '', close: true }, want: { isPassed: true, reason: '' } },
  {
    name: 'a second response nobody asked for fails',
    input: { c: acceptCase, answer: okResponse + okResponse, close: false },
    want: { isPassed: false, reason: 'unexpected extra response #2 (200)' },
  },
  {
    name: 'silence fails when the case times out',
    input: { c: { ...acceptCase, timeout: 0.2 }, answer: '', close: false },
    want: { isPassed: false, reason: 'response #1: missing (nothing before the timeout)' },
  },
];
for (const { name, input, want } of verdictRows) {
  test(`runCase: ${name}`, async () => {
    let isAnswered = false;
    const server = await scripted((socket, received) => {
      if (isAnswered || !received.endsWith('\r\n\r\n')) return;
      isAnswered = true;
      if (input.answer !== '') socket.write(input.answer);
      if (input.close) socket.end();
    });
    try {
      const got = await runCase(input.c, { host: '127.0.0.1', port: server.port, delivery: 'whole', timeoutMs: 2_000, lingerMs: 20, appLog: false });
      assert.deepEqual({ isPassed: got.isPassed, reason: got.reason }, want);
    } finally {
      await server.close();
    }
  });
}
