// app.ws() (issue #15): middleware runs on the upgrade request (auth from a cookie → 401), the
// route's Origin allow-list (→ 403), typed params and middleware state in ws.data, the upgrade
// hook's value; over a real socket with the `ws` npm package as the client. In memory
// (app.request) the route answers 426 without an upgrade and 501 with one (no socket to hand over).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket as WsClient } from 'ws';
import { App } from '../../src/app/app.js';
import { HttpError } from '../../src/app/http-error.js';

interface State {
  user: string;
}

function chatApp(): App<State> {
  const app = new App<State>();
  app.use((ctx, next) => {
    const user = ctx.cookie('user');
    if (user === undefined) throw new HttpError(401, 'Unauthorized');
    ctx.state.user = user;
    return next();
  });
  app.ws('/rooms/:room', {
    allowedOrigins: ['https://good.example'],
    upgrade: async (ctx) => {
      if (ctx.params.room === 'closed') throw new HttpError(404, 'Not Found');
      return { joinedAt: 42 };
    },
    open(ws) {
      // Typed: params.room is a string, state.user a string, data the upgrade hook's value.
      const room: string = ws.data.params.room;
      const user: string = ws.data.state.user;
      const joinedAt: number = ws.data.data.joinedAt;
      ws.send(`${user} joined ${room} at ${joinedAt}`);
      // @ts-expect-error: no such param
      void ws.data.params.nope;
    },
    message(ws, data) {
      ws.send(`${ws.data.state.user}@${ws.data.params.room}: ${String(data)}`);
    },
    options: { protocols: ['chat.v1'] },
  });
  return app;
}

/** Upgrade status of a ws client: the 101's first message, or the refusal's status. */
async function attempt(url: string, headers: Record<string, string>, protocols?: string[]): Promise<{ status: number; first?: string; client?: WsClient }> {
  const c = new WsClient(url, protocols, { headers, perMessageDeflate: false });
  const result = await new Promise<{ status: number; first?: string }>((resolve, reject) => {
    c.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      c.terminate();
    });
    c.once('message', (data: Buffer) => resolve({ status: 101, first: data.toString() }));
    c.once('error', (err) => reject(err));
  });
  return { ...result, client: result.status === 101 ? c : undefined };
}

test('app.ws: middleware and the route decide before the upgrade; ws.data carries params, state and the hook\'s value', async () => {
  const running = await chatApp().listen(0);
  const url = `ws://127.0.0.1:${running.port}/rooms/lobby`;
  try {
    const rows: Array<{ name: string; input: { url?: string; headers: Record<string, string> }; want: number }> = [
      { name: 'no cookie: the middleware refuses (401)', input: { headers: {} }, want: 401 },
      { name: 'another Origin: 403', input: { headers: { cookie: 'user=ann', origin: 'https://evil.example' } }, want: 403 },
      { name: 'the upgrade hook refuses (404)', input: { url: url.replace('lobby', 'closed'), headers: { cookie: 'user=ann' } }, want: 404 },
      { name: 'allowed Origin', input: { headers: { cookie: 'user=ann', origin: 'https://good.example' } }, want: 101 },
      { name: 'no Origin (not a browser)', input: { headers: { cookie: 'user=bob' } }, want: 101 },
    ];
    for (const { name, input, want } of rows) {
      const got = await attempt(input.url ?? url, input.headers);
      assert.equal(got.status, want, name);
      got.client?.terminate();
    }
    const { first, client } = await attempt(url, { cookie: 'user=ann' }, ['other', 'chat.v1']);
    try {
      assert.equal(first, 'ann joined lobby at 42');
      assert.equal(client!.protocol, 'chat.v1');
      const reply = once(client!, 'message');
      client!.send('hi');
      assert.equal(String((await reply)[0]), 'ann@lobby: hi');
    } finally {
      const closed = once(client!, 'close');
      client!.close();
      await closed;
    }
  } finally {
    await running.close();
  }
});

test('app.ws in memory: 426 with Upgrade: websocket for a plain GET, 501 for an upgrade (no socket to hand over)', async () => {
  const errors: unknown[] = [];
  const app = new App({ onError: (err) => void errors.push(err) });
  app.ws('/ws', { message: (ws, data) => void ws.send(data) });
  const rows: Array<{ name: string; input: Record<string, string>; want: { status: number; upgrade: string | null } }> = [
    { name: 'plain GET', input: {}, want: { status: 426, upgrade: 'websocket' } },
    {
      name: 'upgrade request',
      input: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
      want: { status: 501, upgrade: null },
    },
  ];
  for (const { name, input, want } of rows) {
    const res = await app.request('/ws', { headers: input });
    await res.arrayBuffer();
    assert.deepEqual({ status: res.status, upgrade: res.headers.get('upgrade') }, want, name);
  }
  assert.deepEqual(errors.map((e) => (e as HttpError).code), ['ERR_WS_UPGRADE_REQUIRED', 'ERR_WS_NO_CONNECTION']);
});
