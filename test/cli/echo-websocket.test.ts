// `keel echo` accepts WebSocket upgrades on /ws and echoes every message whole with its type
// (DESIGN.md contract, issue #15), tested through the built CLI with clients nobody here wrote:
// the `ws` npm package and, where installed, Debian's python3-websockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { WebSocket as WsClient } from 'ws';
import { startKeel, type RunningKeel } from './keel.js';

const CASE_TIMEOUT_MS = 60_000;
const PYTHON = '/usr/bin/python3';
const hasPythonWebsockets = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;

async function withEcho(t: { signal: AbortSignal }, fn: (port: string, keel: RunningKeel) => Promise<void>): Promise<void> {
  const keel = startKeel(['echo', '--port', '0'], t.signal);
  try {
    const [, port] = await keel.waitFor(/^keel echo listening on http:\/\/127\.0\.0\.1:(\d+)\/\n/m);
    await fn(port!, keel);
  } finally {
    await keel.stop();
  }
}

async function echoOnce(c: WsClient, input: string | Buffer, options: { fin?: boolean } = {}): Promise<[Buffer, boolean]> {
  const got = once(c, 'message') as Promise<[Buffer, boolean]>;
  c.send(input, options);
  return got;
}

test('keel echo /ws with ws: text and binary come back whole with their type, deflate on and off, 16 MiB', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  await withEcho(t, async (port) => {
    for (const perMessageDeflate of [false, true]) {
      const c = new WsClient(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate, maxPayload: 64 * 1024 * 1024 });
      await once(c, 'open');
      try {
        assert.equal(c.extensions, perMessageDeflate ? 'permessage-deflate' : '');
        const big = Buffer.alloc(16 * 1024 * 1024);
        for (let i = 0; i < big.length; i += 997) big[i] = i & 0xff;
        const rows: Array<{ name: string; input: string | Buffer; want: boolean }> = [
          { name: 'text', input: 'héllo', want: false },
          { name: 'binary', input: Buffer.from([1, 2, 3]), want: true },
          { name: 'text 1 MiB', input: 'abc'.repeat(350_000), want: false },
          { name: 'binary 16 MiB', input: big, want: true },
        ];
        for (const { name, input, want } of rows) {
          const [data, isBinary] = await echoOnce(c, input);
          assert.equal(isBinary, want, name);
          assert.ok(data.equals(Buffer.isBuffer(input) ? input : Buffer.from(input)), `${name} (deflate ${perMessageDeflate})`);
        }
        // A fragmented message is echoed whole (one message).
        c.send('frag', { fin: false });
        const [data] = await echoOnce(c, 'mented', { fin: true });
        assert.equal(data.toString(), 'fragmented');
      } finally {
        c.terminate();
      }
    }
  });
});

test('keel echo /ws: a client sending faster than it reads loses no message (input pauses instead of dropping)', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  await withEcho(t, async (port) => {
    const c = new WsClient(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    await once(c, 'open');
    try {
      const count = 64;
      const received: number[] = [];
      const all = new Promise<void>((resolve) =>
        c.on('message', (data: Buffer) => {
          received.push(data[0]!);
          if (received.length === count) resolve();
        }),
      );
      // 64 MiB in flight, well over the server's 16 MiB maxBufferedBytes.
      for (let i = 0; i < count; i++) c.send(Buffer.alloc(1024 * 1024, i));
      await all;
      assert.deepEqual(received, Array.from({ length: count }, (_, i) => i));
    } finally {
      c.terminate();
    }
  });
});

test('keel echo /ws with Debian python3-websockets', { timeout: CASE_TIMEOUT_MS, skip: hasPythonWebsockets ? false : 'python3-websockets is not installed (apt-get install -y python3-websockets)' }, async (t) => {
  await withEcho(t, async (port) => {
    // websockets offers permessage-deflate by default; the script prints what it observed.
    const script = `
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], max_size=32 * 1024 * 1024) as ws:
        out = [str(ws.response_headers.get('Sec-WebSocket-Extensions'))]
        for msg in ['hello', b'\\x00\\x01\\xff', 'x' * 100000, bytes(16 * 1024 * 1024)]:
            await ws.send(msg)
            got = await ws.recv()
            out.append('%s:%d:%s' % (type(got).__name__, len(got), got == msg))
        await ws.close(4000, 'done')
        out.append('close:%d' % ws.close_code)
        print(' '.join(out))
asyncio.run(main())
`;
    const { spawn } = await import('node:child_process');
    const child = spawn(PYTHON, ['-c', script, `ws://127.0.0.1:${port}/ws`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 0, err);
    assert.equal(out.trim(), 'permessage-deflate str:5:True bytes:3:True str:100000:True bytes:16777216:True close:4000');
  });
});

test('keel echo --workers 2 /ws: each worker upgrades; SIGTERM closes open WebSockets with 1001', { timeout: CASE_TIMEOUT_MS }, async (t) => {
  const keel = startKeel(['echo', '--workers', '2', '--port', '0'], t.signal);
  const workerPids = (): number[] => [...keel.output().matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
  try {
    await keel.waitFor(/2 worker\(s\) ready/);
    const [, port] = await keel.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    const clients: WsClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = new WsClient(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: true });
      await once(c, 'open');
      const [data] = await echoOnce(c, `client ${i}`);
      assert.equal(data.toString(), `client ${i}`);
      clients.push(c);
    }
    const codes = clients.map((c) => once(c, 'close').then(([code]) => code as number));
    keel.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all(codes), [1001, 1001, 1001, 1001]);
    assert.equal(await keel.exited, 0, keel.output());
  } finally {
    await keel.stop(workerPids());
  }
});
