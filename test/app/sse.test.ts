/**
 * Server-Sent Events (issue #16 item 6): the event-stream format (data split on CRLF, LF
 * and CR; event/id/retry refused when they would break framing), ctx.sse() over a real
 * socket (producer, Last-Event-ID, end when the producer returns, end when the client
 * leaves), heartbeats under fake timers, HEAD, and compress() leaving the stream alone.
 */
import { test, describe, mock } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { App, compress, type SseStream } from '../../src/app/index.js';
import { formatSseEvent, type SseEvent } from '../../src/app/sse.js';
import { exchange } from '../helpers/socket.js';
import { table } from '../helpers/table.js';

table<SseEvent | string, string>(
  'formatSseEvent',
  [
    { name: 'a string is a message', input: 'hi', want: 'data: hi\n\n' },
    { name: 'LF, CRLF and CR each start a data line (HTML §9.2.6)', input: { data: 'a\nb\r\nc\rd' }, want: 'data: a\ndata: b\ndata: c\ndata: d\n\n' },
    { name: 'an empty line of data is kept', input: { data: 'a\n\nb' }, want: 'data: a\ndata: \ndata: b\n\n' },
    { name: 'leading spaces survive (one space after the colon is the separator)', input: { data: ' x' }, want: 'data:  x\n\n' },
    { name: 'every field', input: { event: 'tick', id: '42', retry: 3000, data: '{}' }, want: 'event: tick\nid: 42\nretry: 3000\ndata: {}\n\n' },
  ],
  (input) => formatSseEvent(input),
);

table<SseEvent, boolean>(
  'formatSseEvent refuses what would break framing',
  [
    { name: 'LF in event', input: { event: 'a\ndata: forged' }, want: true },
    { name: 'CR in id', input: { id: 'a\rb' }, want: true },
    { name: 'NUL in id', input: { id: 'a\0' }, want: true },
    { name: 'negative retry', input: { retry: -1 }, want: true },
    { name: 'fractional retry', input: { retry: 1.5 }, want: true },
  ],
  (input) => {
    try {
      formatSseEvent(input);
      return false;
    } catch (err) {
      return err instanceof TypeError;
    }
  },
);

/** Reads a socket until `done(text)` says so. */
function readUntil(socket: ReturnType<typeof connect>, done: (text: string) => boolean): Promise<string> {
  socket.setEncoding('latin1');
  let text = '';
  return new Promise((resolve, reject) => {
    socket.on('data', (t: string) => {
      text += t;
      if (done(text)) resolve(text);
    });
    socket.on('error', reject);
  });
}

describe('ctx.sse() over a real socket', () => {
  test('events from a producer, Last-Event-ID, retry first, a complete body when it returns', async () => {
    const app = new App();
    app.get('/events', (ctx) =>
      ctx.sse(
        async (stream) => {
          assert.equal(await stream.send({ id: `${stream.lastEventId}-1`, data: 'one\ntwo' }), true);
          assert.equal(await stream.send({ event: 'done', data: 'bye' }), true);
        },
        { retryMs: 2000 },
      ),
    );
    const server = await app.listen(0, '127.0.0.1');
    try {
      const { text } = await exchange(server.port, 'GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\nConnection: close\r\n\r\n');
      const [head, body] = text.split('\r\n\r\n', 2) as [string, string];
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/);
      assert.match(head, /\r\nCache-Control: no-store\r\n/);
      assert.match(head, /\r\nX-Accel-Buffering: no\r\n/);
      assert.match(head, /\r\nTransfer-Encoding: chunked\r\n/);
      const chunks = text.slice(head.length + 4);
      assert.equal(body.length > 0, true);
      // De-chunk: size lines out.
      const payload = chunks.replace(/(?:^|\r\n)[0-9a-f]+\r\n/g, '');
      assert.equal(payload, 'retry: 2000\n\nid: 7-1\ndata: one\ndata: two\n\nevent: done\ndata: bye\n\n\r\n');
    } finally {
      await server.close();
    }
  });

  test('the client leaving ends the stream: signal aborts, send() resolves false', async () => {
    const app = new App();
    let stream!: SseStream;
    const started = new Promise<void>((resolve) =>
      app.get('/events', (ctx) => {
        stream = ctx.sse(async (s) => {
          await s.send('first');
          resolve();
          await new Promise<void>((r) => s.onClose(r));
        });
      }),
    );
    const server = await app.listen(0, '127.0.0.1');
    try {
      const socket = connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
      await readUntil(socket, (t) => t.includes('data: first\n\n'));
      await started;
      const aborted = once(stream.signal, 'abort');
      socket.destroy();
      // The server learns the client left when a write fails (it does not read a socket
      // whose request is being answered): send until the stream reports the end.
      while (await stream.send('probe'));
      await aborted;
      assert.equal(stream.closed, true);
      assert.equal(await stream.send('late'), false);
    } finally {
      await server.close();
    }
  });

  test('HEAD gets the head and no stream', async () => {
    const app = new App();
    let stream!: SseStream;
    app.get('/events', (ctx) => {
      stream = ctx.sse(() => assert.fail('no producer for HEAD'));
    });
    const res = await app.request('/events', { method: 'HEAD' });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(await res.text(), '');
    assert.equal(stream.closed, true);
  });

  test('compress() leaves an event stream alone (no Content-Encoding, events as sent)', async () => {
    const app = new App();
    app.use(compress());
    const big = 'x'.repeat(4096);
    app.get('/events', (ctx) => ctx.sse(async (s) => void (await s.send(big))));
    const res = await app.request('/events', { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(res.headers.get('content-encoding'), null);
    assert.equal(await res.text(), `data: ${big}\n\n`);
  });
});

test('heartbeat comments every heartbeatIntervalMs while idle, and none after the end', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const app = new App();
    let stream!: SseStream;
    app.get('/events', (ctx) => {
      stream = ctx.sse(undefined, { heartbeatIntervalMs: 1000 });
    });
    const res = await app.request('/events');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const sent = stream.send('a');
    assert.equal(decoder.decode((await reader.read()).value), 'data: a\n\n');
    mock.timers.tick(1000);
    assert.equal(decoder.decode((await reader.read()).value), ':\n\n');
    assert.equal(await sent, true);
    stream.close();
    assert.equal((await reader.read()).done, true);
    mock.timers.tick(5000);
    assert.equal(stream.closed, true);
  } finally {
    mock.timers.reset();
  }
});
