/**
 * node:diagnostics_channel events (issue #16 item 5): a subscriber sees request start,
 * response headers, response finish and handler errors, in that order, with the
 * documented payloads; nothing is published to channels nobody listens to.
 */
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { Server } from '../../src/server/server.js';
import type { Handler } from '../../src/server/handler.js';
import { DIAGNOSTICS_CHANNELS, type ErrorDiagnostic, type FinishDiagnostic, type RequestDiagnostic } from '../../src/server/diagnostics.js';
import { exchange } from '../helpers/socket.js';

type Seen = { channel: string; message: RequestDiagnostic | FinishDiagnostic | ErrorDiagnostic };

const subscriptions: Array<[string, (m: unknown, name: string | symbol) => void]> = [];
function subscribeAll(seen: Seen[], names: readonly string[] = Object.values(DIAGNOSTICS_CHANNELS)): void {
  for (const name of names) {
    const fn = (m: unknown): void => void seen.push({ channel: name, message: m as Seen['message'] });
    diagnostics.subscribe(name, fn);
    subscriptions.push([name, fn]);
  }
}
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) diagnostics.unsubscribe(name, fn);
});

async function withServer(handler: Handler, fn: (port: number) => Promise<void>): Promise<void> {
  const server = new Server(handler, { onError: () => undefined });
  await server.listen(0, '127.0.0.1');
  try {
    await fn(server.port);
  } finally {
    await server.close();
  }
}

describe('diagnostics_channel events', () => {
  test('start, headers, finish in order, with request, response and socket', async () => {
    const seen: Seen[] = [];
    subscribeAll(seen);
    await withServer(
      (req, res) => {
        // The handler runs after the start event.
        assert.deepEqual(seen.map((s) => s.channel), [DIAGNOSTICS_CHANNELS.requestStart]);
        res.end('hi');
      },
      async (port) => {
        await exchange(port, 'GET /x?y=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
      },
    );
    assert.deepEqual(
      seen.map((s) => s.channel),
      [DIAGNOSTICS_CHANNELS.requestStart, DIAGNOSTICS_CHANNELS.responseHeaders, DIAGNOSTICS_CHANNELS.responseFinish],
    );
    const [start, head, finish] = seen.map((s) => s.message) as [RequestDiagnostic, RequestDiagnostic, FinishDiagnostic];
    assert.equal(start.request.method, 'GET');
    assert.equal(start.request.target, '/x?y=1');
    assert.equal(typeof start.socket.remotePort, 'number');
    assert.equal(head.request, start.request);
    assert.equal(head.response, start.response);
    assert.equal(head.response.status, 200);
    assert.equal(finish.response, start.response);
    assert.equal(finish.isComplete, true);
  });

  test('a throwing handler publishes the error, then the 500 head and finish', async () => {
    const seen: Seen[] = [];
    subscribeAll(seen);
    const boom = new Error('boom');
    await withServer(
      () => {
        throw boom;
      },
      async (port) => {
        const { text } = await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
        assert.match(text, /^HTTP\/1\.1 500 /);
      },
    );
    assert.deepEqual(
      seen.map((s) => s.channel),
      [DIAGNOSTICS_CHANNELS.requestStart, DIAGNOSTICS_CHANNELS.requestError, DIAGNOSTICS_CHANNELS.responseHeaders, DIAGNOSTICS_CHANNELS.responseFinish],
    );
    assert.equal((seen[1]!.message as ErrorDiagnostic).error, boom);
    assert.equal(seen[2]!.message.response.status, 500);
  });

  test('a response destroyed mid-body finishes with isComplete false', async () => {
    const seen: Seen[] = [];
    subscribeAll(seen, [DIAGNOSTICS_CHANNELS.responseFinish]);
    await withServer(
      (_req, res) => {
        res.write('part');
        res.destroy();
      },
      async (port) => {
        await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
      },
    );
    assert.equal(seen.length, 1);
    assert.equal((seen[0]!.message as FinishDiagnostic).isComplete, false);
  });

  test('no subscriber: nothing published, and a channel subscribed alone sees only its events', async () => {
    const seen: Seen[] = [];
    subscribeAll(seen, [DIAGNOSTICS_CHANNELS.requestError]);
    await withServer(
      (_req, res) => res.end('ok'),
      async (port) => {
        await exchange(port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
      },
    );
    assert.deepEqual(seen, []);
    assert.equal(diagnostics.hasSubscribers(DIAGNOSTICS_CHANNELS.requestStart), false);
  });
});
