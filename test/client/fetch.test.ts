// Tests for src/client/fetch.ts and agent.ts (#17): the WHATWG shape over keel's client, and many origins.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createFetch } from '../../src/client/index.js';
import { deferred, rejection, withKeel, withNodeHttp, withScripted } from './helpers.js';

describe('fetch over keel\'s client', () => {
  test('GET and POST with global Request/Response/Headers', async () => {
    await withKeel(async (req, res) => {
      res.headers.set('x-method', req.method);
      res.headers.append('set-cookie', 'a=1');
      res.headers.append('set-cookie', 'b=2');
      res.end(`${req.header('content-type') ?? '-'} ${await req.text()}`);
    }, async (origin) => {
      const agent = new Agent();
      const fetch = createFetch(agent);
      try {
        const res = await fetch(`${origin}/x`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
        assert.ok(res instanceof Response);
        assert.equal(res.status, 200);
        assert.equal(res.statusText, 'OK');
        assert.equal(res.headers.get('x-method'), 'POST');
        assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
        assert.equal(res.url, `${origin}/x`);
        assert.equal(await res.text(), 'application/json {"a":1}');
        const req = new Request(`${origin}/y`, { method: 'PUT', body: 'abc' });
        assert.equal(await (await fetch(req)).text(), 'text/plain;charset=UTF-8 abc');
      } finally {
        await agent.close();
      }
    });
  });

  test('a streamed request body (duplex: half) and a streamed response body', async () => {
    await withKeel(async (req, res) => {
      for await (const chunk of req.body) res.write(chunk);
      res.end();
    }, async (origin) => {
      const agent = new Agent();
      try {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('one,'));
            c.enqueue(new TextEncoder().encode('two'));
            c.close();
          },
        });
        const res = await createFetch(agent)(`${origin}/echo`, { method: 'POST', body, duplex: 'half' } as RequestInit);
        assert.equal(await res.text(), 'one,two');
      } finally {
        await agent.close();
      }
    });
  });

  test('redirects: followed (303 turns POST into GET), manual, error; credentials stay on their origin', async () => {
    await withNodeHttp((req, res) => {
      if (req.url === '/start') res.writeHead(303, { location: '/end' }).end();
      else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else res.end(`${req.method} ${req.url} auth=${req.headers.authorization ?? '-'}`);
    }, async (origin) => {
      await withNodeHttp((req, res) => {
        if (req.url === '/away') res.writeHead(307, { location: `${origin}/there` }).end();
        else res.end('?');
      }, async (other) => {
        const agent = new Agent();
        const fetch = createFetch(agent);
        try {
          const res = await fetch(`${origin}/start`, { method: 'POST', body: 'x', headers: { authorization: 'Bearer t' } });
          assert.equal(await res.text(), 'GET /end auth=Bearer t');
          assert.equal(res.redirected, true);
          assert.equal(res.url, `${origin}/end`);
          const manual = await fetch(`${origin}/start`, { redirect: 'manual' });
          assert.equal(manual.status, 303);
          assert.equal(manual.headers.get('location'), '/end');
          await assert.rejects(fetch(`${origin}/start`, { redirect: 'error' }), TypeError);
          await assert.rejects(fetch(`${origin}/loop`), (err: Error) => err instanceof TypeError && /too many redirects/.test(String((err.cause as Error).message)));
          const cross = await fetch(`${other}/away`, { headers: { authorization: 'Bearer t' } });
          assert.equal(await cross.text(), 'GET /there auth=-');
        } finally {
          await agent.close();
        }
      });
    });
  });

  test('network and protocol errors reject with TypeError("fetch failed", { cause }); abort rejects with the reason', async () => {
    await withScripted((conn, head) => {
      if (head.startsWith('GET /bad')) conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
    }, async (origin) => {
      const agent = new Agent();
      const fetch = createFetch(agent);
      try {
        const bad = await fetch(`${origin}/bad`).then(() => null, (e: Error) => e);
        assert.ok(bad instanceof TypeError);
        assert.equal((bad.cause as { code: string }).code, 'ERR_RESPONSE_CONTENT_LENGTH');
        const ac = new AbortController();
        const p = fetch(`${origin}/hang`, { signal: ac.signal });
        const reason = new Error('stop');
        ac.abort(reason);
        await assert.rejects(p, (e) => e === reason);
        await assert.rejects(fetch('ftp://127.0.0.1/'), TypeError);
      } finally {
        agent.destroy();
      }
    });
  });

  test('abort follows the Fetch standard: the promise, and a body already streaming, fail with the signal\'s reason (DOMException AbortError by default), never ClientAbortError', async () => {
    const sawHang = deferred();
    await withScripted((conn, head) => {
      if (head.startsWith('GET /hang')) sawHang.resolve();
      // Half a body, then silence: the response has arrived, its body is still streaming.
      else if (head.startsWith('GET /slow')) conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello');
      else if (head.startsWith('GET /cut')) conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello');
    }, async (origin) => {
      const agent = new Agent();
      const fetch = createFetch(agent);
      const isAbortError = (ac: AbortController) => (e: unknown) => e instanceof DOMException && e.name === 'AbortError' && e === ac.signal.reason;
      try {
        // Before the head: the promise rejects with the reason abort() made.
        const ac1 = new AbortController();
        const p = fetch(`${origin}/hang`, { signal: ac1.signal });
        await sawHang.promise;
        ac1.abort();
        await assert.rejects(p, isAbortError(ac1));

        // After the head: the body stream errors with it.
        const ac2 = new AbortController();
        const res = await fetch(`${origin}/slow`, { signal: ac2.signal });
        const reader = res.body!.getReader();
        assert.equal(Buffer.from((await reader.read()).value!).toString(), 'hello');
        ac2.abort();
        await assert.rejects(reader.read(), isAbortError(ac2));

        // A reason given to abort() is the error, for text() too.
        const ac3 = new AbortController();
        const res3 = await fetch(`${origin}/slow`, { signal: ac3.signal });
        const text = res3.text();
        const reason = new Error('enough');
        ac3.abort(reason);
        await assert.rejects(text, (e) => e === reason);

        // Not an abort: a body cut short errors with TypeError('terminated'), keel's error as the cause.
        const cut = await fetch(`${origin}/cut`);
        await assert.rejects(cut.text(), (e: Error) => e instanceof TypeError && e.message === 'terminated' && (e.cause as { code?: string }).code === 'ERR_RESPONSE_INCOMPLETE');
      } finally {
        agent.destroy();
      }
    });
  });
});

describe('Agent', () => {
  test('one Client per origin, each with its own pool', async () => {
    await withKeel(async (_req, res) => res.end('a'), async (a) => {
      await withKeel(async (_req, res) => res.end('b'), async (b) => {
        const agent = new Agent({ maxConnections: 1 });
        try {
          const got = await Promise.all([
            agent.request(`${a}/1`).then((r) => r.body.text()),
            agent.request(`${b}/1`).then((r) => r.body.text()),
            agent.request(`${a}/2?q=1#frag`).then((r) => r.body.text()),
          ]);
          assert.deepEqual(got, ['a', 'b', 'a']);
          assert.equal(agent.client(a).connections, 1);
          assert.equal(agent.client(b).connections, 1);
          await assert.rejects(agent.request(`http://u:p@${new URL(a).host}/`), TypeError);
        } finally {
          await agent.close();
        }
      });
    });
  });
  test('maxOrigins bounds the Clients: the least recently used idle one is closed for a new origin, a busy one never', async () => {
    const release = deferred();
    await withKeel(async (req, res) => {
      if (req.target === '/slow') {
        res.write('part,');
        await release.promise;
      }
      res.end('a');
    }, async (a) => {
      await withKeel(async (_req, res) => res.end('b'), async (b) => {
        await withKeel(async (_req, res) => res.end('c'), async (c) => {
          assert.throws(() => new Agent({ maxOrigins: 0 }), RangeError);
          const agent = new Agent({ maxOrigins: 2 });
          const one = new Agent({ maxOrigins: 1 });
          try {
            const text = async (ag: Agent, url: string): Promise<string> => (await ag.request(url)).body.text();
            assert.equal(await text(agent, `${a}/`), 'a');
            const clientA = agent.client(a);
            assert.equal(await text(agent, `${b}/`), 'b');
            const clientB = agent.client(b);
            // a used again: b is now the least recently used.
            assert.equal(await text(agent, `${a}/`), 'a');
            assert.equal(clientB.connections, 1);
            assert.equal(await text(agent, `${c}/`), 'c');
            assert.equal(agent.clientCount, 2);
            assert.equal(clientB.connections, 0, 'the evicted Client closed its idle connection');
            assert.equal((await rejection(clientB.request())).code, 'ERR_CLIENT_CLOSED');
            assert.equal(agent.client(a), clientA, 'the recently used Client was kept');
            assert.equal(await text(agent, `${b}/`), 'b', 'an evicted origin gets a new Client');

            // A Client whose response is still streaming is busy: kept past the bound.
            const slow = await one.request(`${a}/slow`);
            assert.equal(await text(one, `${b}/`), 'b');
            assert.equal(one.clientCount, 2);
            release.resolve();
            assert.equal(await slow.body.text(), 'part,a');
            // Both idle now: a new origin leaves only itself.
            assert.equal(await text(one, `${c}/`), 'c');
            assert.equal(one.clientCount, 1);
          } finally {
            release.resolve();
            await Promise.all([agent.close(), one.close()]);
          }
        });
      });
    });
  });
});
