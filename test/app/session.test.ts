/**
 * session() and memorySessionStore() (issue #16 item 4): the cookie's attributes, lazy
 * loading, save-only-when-changed, rolling and absolute expiry with an injected clock,
 * regenerate() against fixation, destroy(), forged cookies, the store's bound; in memory
 * and once over a real socket.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { App, session, memorySessionStore, sessionStoreKey, type SessionStore, type StoredSession } from '../../src/app/index.js';
import { signCookieValue } from '../../src/app/cookies.js';
import { exchange } from '../helpers/socket.js';

const KEYS = ['test-secret-key'];

/** A store that counts calls, over a memory store. */
function countingStore(now: () => number): { store: SessionStore; calls: string[]; inner: ReturnType<typeof memorySessionStore> } {
  const inner = memorySessionStore({ now });
  const calls: string[] = [];
  const store: SessionStore = {
    get: (k) => (calls.push('get'), inner.get(k)),
    set: (k, s) => (calls.push('set'), inner.set(k, s)),
    touch: (k, e) => (calls.push('touch'), inner.touch(k, e)),
    destroy: (k) => (calls.push('destroy'), inner.destroy(k)),
  };
  return { store, calls, inner };
}

function makeApp(opts: { now: () => number; store: SessionStore; idleTimeoutMs?: number; absoluteTimeoutMs?: number; touchIntervalMs?: number; https?: boolean }) {
  const app = new App({ keys: KEYS, onError: () => undefined });
  app.use(session({ store: opts.store, now: opts.now, idleTimeoutMs: opts.idleTimeoutMs, absoluteTimeoutMs: opts.absoluteTimeoutMs, touchIntervalMs: opts.touchIntervalMs, isHttps: () => opts.https === true }));
  app.get('/none', (ctx) => ctx.text('no session used'));
  app.get('/get', async (ctx) => ctx.text(String((await ctx.session.get<string>('name')) ?? '-')));
  app.get('/set', async (ctx) => {
    await ctx.session.set('name', ctx.query.get('v') ?? 'x');
    ctx.text('ok');
  });
  app.get('/regenerate', async (ctx) => {
    await ctx.session.regenerate();
    ctx.text('ok');
  });
  app.get('/destroy', async (ctx) => {
    await ctx.session.destroy();
    ctx.text('ok');
  });
  app.get('/throw', async (ctx) => {
    await ctx.session.set('name', 'half-done');
    throw new Error('boom');
  });
  return app;
}

/** The `name=value` of the first Set-Cookie, or undefined. */
function cookieOf(res: Response): string | undefined {
  const c = res.headers.getSetCookie()[0];
  return c?.split(';')[0];
}

function clock(start = Date.UTC(2026, 0, 1)) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

describe('session()', () => {
  test('a request that never uses the session touches neither the store nor the cookie', async () => {
    const c = clock();
    const { store, calls } = countingStore(c.now);
    const app = makeApp({ now: c.now, store });
    const res = await app.request('/none', { headers: { cookie: 'keel_sid=whatever' } });
    assert.equal(await res.text(), 'no session used');
    assert.deepEqual(calls, []);
    assert.deepEqual(res.headers.getSetCookie(), []);
  });

  test('reading an empty session creates no record and no cookie', async () => {
    const c = clock();
    const { store, calls } = countingStore(c.now);
    const res = await makeApp({ now: c.now, store }).request('/get');
    assert.equal(await res.text(), '-');
    assert.deepEqual(calls, []);
    assert.deepEqual(res.headers.getSetCookie(), []);
  });

  test('set() saves after the chain with a signed, HttpOnly, SameSite=Lax cookie; the next request reads it back', async () => {
    const c = clock();
    const { store, calls, inner } = countingStore(c.now);
    const app = makeApp({ now: c.now, store });
    const res = await app.request('/set?v=ada');
    const set = res.headers.getSetCookie();
    assert.equal(set.length, 1);
    assert.match(set[0]!, /^keel_sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.deepEqual(calls, ['set']);
    assert.equal(inner.size, 1);
    // The store is keyed by the id's hash, never the id.
    const id = cookieOf(res)!.split('=')[1]!.split('.')[0]!;
    assert.ok((await inner.get(sessionStoreKey(id))) !== undefined);
    assert.equal(await inner.get(id), undefined);
    calls.length = 0;
    const again = await app.request('/get', { headers: { cookie: cookieOf(res)! } });
    assert.equal(await again.text(), 'ada');
    assert.deepEqual(calls, ['get'], 'unchanged and just saved: no write');
    assert.deepEqual(again.headers.getSetCookie(), []);
  });

  test('over https the cookie is __Host-keel_sid with Secure', async () => {
    const c = clock();
    const res = await makeApp({ now: c.now, store: memorySessionStore(), https: true }).request('/set');
    assert.match(res.headers.getSetCookie()[0]!, /^__Host-keel_sid=[^;]+; Max-Age=1800; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  });

  const forged: Array<{ name: string; input: (good: string) => string }> = [
    { name: 'an unsigned id', input: (good) => good.split('.')[0]! },
    { name: 'a signature from another key', input: (good) => `keel_sid=${signCookieValue('keel_sid', good.split('=')[1]!.split('.')[0]!, ['other-key'])}` },
    { name: 'a well-signed id of no session', input: () => `keel_sid=${signCookieValue('keel_sid', 'A'.repeat(43), KEYS)}` },
  ];
  for (const row of forged) {
    test(`a cookie with ${row.name} is not believed and is cleared`, async () => {
      const c = clock();
      const app = makeApp({ now: c.now, store: memorySessionStore() });
      const good = cookieOf(await app.request('/set?v=ada'))!;
      const res = await app.request('/get', { headers: { cookie: row.input(good) } });
      assert.equal(await res.text(), '-');
      assert.equal(res.headers.get('set-cookie'), 'keel_sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax');
    });
  }

  test('rolling expiry: a session used within idleTimeoutMs lives on; the expiry is touched at most once per touchIntervalMs', async () => {
    const c = clock();
    const { store, calls } = countingStore(c.now);
    const app = makeApp({ now: c.now, store, idleTimeoutMs: 10_000, touchIntervalMs: 2_000 });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    calls.length = 0;
    c.ms += 1_000; // within the touch interval: no write
    let res = await app.request('/get', { headers: { cookie } });
    assert.equal(await res.text(), 'ada');
    assert.deepEqual(calls, ['get']);
    c.ms += 8_000; // 9 s after the save, 1 s before idle expiry: touched, cookie re-sent
    res = await app.request('/get', { headers: { cookie } });
    assert.equal(await res.text(), 'ada');
    assert.deepEqual(calls, ['get', 'get', 'touch']);
    assert.match(res.headers.getSetCookie()[0]!, /; Max-Age=10;/);
    c.ms += 9_000; // 18 s after creation, alive thanks to the touch
    assert.equal(await (await app.request('/get', { headers: { cookie } })).text(), 'ada');
  });

  test('idle expiry: unused for idleTimeoutMs, the session is gone and its record destroyed', async () => {
    const c = clock();
    const { store, calls } = countingStore(c.now);
    const app = makeApp({ now: c.now, store, idleTimeoutMs: 10_000 });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    c.ms += 10_000;
    calls.length = 0;
    const res = await app.request('/get', { headers: { cookie } });
    assert.equal(await res.text(), '-');
    assert.match(res.headers.get('set-cookie')!, /^keel_sid=; Max-Age=0;/);
  });

  test('absolute expiry: even a session in constant use ends absoluteTimeoutMs after it began', async () => {
    const c = clock();
    const inner = memorySessionStore({ now: c.now });
    const app = makeApp({ now: c.now, store: inner, idleTimeoutMs: 10_000, absoluteTimeoutMs: 25_000, touchIntervalMs: 0 });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    for (let i = 0; i < 3; i++) {
      c.ms += 8_000;
      const res = await app.request('/get', { headers: { cookie } });
      assert.equal(await res.text(), 'ada', `at +${(i + 1) * 8} s`);
      // The cookie never outlives the absolute deadline.
      if (i === 1) assert.match(res.headers.getSetCookie()[0]!, /; Max-Age=9;/);
    }
    c.ms += 1_000; // 25 s
    assert.equal(await (await app.request('/get', { headers: { cookie } })).text(), '-');
    assert.equal(inner.size, 0, 'the expired record was destroyed on read');
  });

  test('regenerate(): a new id, the data kept, the old id dead (fixation)', async () => {
    const c = clock();
    const inner = memorySessionStore({ now: c.now });
    const app = makeApp({ now: c.now, store: inner });
    const planted = cookieOf(await app.request('/set?v=ada'))!;
    const res = await app.request('/regenerate', { headers: { cookie: planted } });
    const fresh = cookieOf(res)!;
    assert.notEqual(fresh, planted);
    assert.equal(inner.size, 1);
    assert.equal(await (await app.request('/get', { headers: { cookie: fresh } })).text(), 'ada');
    assert.equal(await (await app.request('/get', { headers: { cookie: planted } })).text(), '-');
  });

  test('destroy(): the record is deleted and the cookie cleared', async () => {
    const c = clock();
    const inner = memorySessionStore({ now: c.now });
    const app = makeApp({ now: c.now, store: inner });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    const res = await app.request('/destroy', { headers: { cookie } });
    assert.equal(res.headers.get('set-cookie'), 'keel_sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax');
    assert.equal(inner.size, 0);
    assert.equal(await (await app.request('/get', { headers: { cookie } })).text(), '-');
  });

  test('a chain that throws saves nothing', async () => {
    const c = clock();
    const inner = memorySessionStore({ now: c.now });
    const res = await makeApp({ now: c.now, store: inner }).request('/throw');
    assert.equal(res.status, 500);
    assert.deepEqual(res.headers.getSetCookie(), []);
    assert.equal(inner.size, 0);
  });

  test('concurrent first uses load the record once', async () => {
    const c = clock();
    const { store, calls } = countingStore(c.now);
    const app = makeApp({ now: c.now, store });
    app.get('/both', async (ctx) => {
      const [a, b] = await Promise.all([ctx.session.get<string>('name'), ctx.session.get<string>('name')]);
      ctx.text(`${a}/${b}`);
    });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    calls.length = 0;
    assert.equal(await (await app.request('/both', { headers: { cookie } })).text(), 'ada/ada');
    assert.deepEqual(calls, ['get']);
  });

  test('destroy() then set() in one request starts a new session under a new id', async () => {
    const c = clock();
    const inner = memorySessionStore({ now: c.now });
    const app = makeApp({ now: c.now, store: inner });
    app.get('/switch', async (ctx) => {
      await ctx.session.destroy();
      await ctx.session.set('name', 'grace');
      ctx.text('ok');
    });
    const cookie = cookieOf(await app.request('/set?v=ada'))!;
    const res = await app.request('/switch', { headers: { cookie } });
    const set = res.headers.getSetCookie();
    assert.equal(set.length, 1, 'one cookie: the new id (no clearing line to race with it)');
    assert.notEqual(cookieOf(res), cookie);
    assert.equal(inner.size, 1);
    assert.equal(await (await app.request('/get', { headers: { cookie: cookieOf(res)! } })).text(), 'grace');
    assert.equal(await (await app.request('/get', { headers: { cookie } })).text(), '-');
  });

  test('ctx.session without the middleware throws a clear error', async () => {
    const app = new App({ keys: KEYS, onError: () => undefined });
    let message = '';
    app.get('/', async (ctx) => {
      try {
        await ctx.session.get('x');
      } catch (err) {
        message = (err as Error).message;
      }
      ctx.text('ok');
    });
    await app.request('/');
    assert.match(message, /needs the session middleware/);
  });

  const badOptions: Array<{ name: string; input: Parameters<typeof session>[0]; want: RegExp }> = [
    { name: 'a __Host- cookie name (the prefix is added over https)', input: { store: memorySessionStore(), cookieName: '__Host-sid' }, want: /cookieName/ },
    { name: 'a cookie name that is not a token', input: { store: memorySessionStore(), cookieName: 'a b' }, want: /cookieName/ },
    { name: 'an idle timeout under a second', input: { store: memorySessionStore(), idleTimeoutMs: 10 }, want: /idleTimeoutMs/ },
    { name: 'a fractional absolute timeout', input: { store: memorySessionStore(), absoluteTimeoutMs: 1.5e4 + 0.5 }, want: /absoluteTimeoutMs/ },
  ];
  for (const row of badOptions) {
    test(`rejects ${row.name} at setup`, () => {
      assert.throws(() => session(row.input), row.want);
    });
  }

  test('over a real socket: the Set-Cookie bytes', async () => {
    const app = makeApp({ now: () => 0, store: memorySessionStore({ now: () => 0 }) });
    const server = await app.listen(0);
    try {
      const { text: raw } = await exchange(server.port, 'GET /set HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(raw, /\r\nset-cookie: keel_sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax\r\n/i);
    } finally {
      await server.close();
    }
  });
});

describe('memorySessionStore()', () => {
  const rec = (expiresMs: number): StoredSession => ({ data: { n: 1 }, createdMs: 0, expiresMs });

  test('holds at most maxSessions records, dropping the least recently used', async () => {
    const s = memorySessionStore({ maxSessions: 3, now: () => 0 });
    for (const k of ['a', 'b', 'c']) await s.set(k, rec(100));
    await s.get('a'); // a is now the most recently used
    await s.set('d', rec(100));
    assert.equal(s.size, 3);
    assert.equal(await s.get('b'), undefined);
    for (const k of ['a', 'c', 'd']) assert.ok(await s.get(k), k);
  });

  test('does not return an expired record, and drops it', async () => {
    const c = { ms: 0 };
    const s = memorySessionStore({ now: () => c.ms });
    await s.set('a', rec(100));
    c.ms = 100;
    assert.equal(await s.get('a'), undefined);
    assert.equal(s.size, 0);
  });

  test('touch() moves the expiry; records are copies', async () => {
    const c = { ms: 0 };
    const s = memorySessionStore({ now: () => c.ms });
    const data = { n: 1 };
    await s.set('a', { data, createdMs: 0, expiresMs: 100 });
    data.n = 2;
    await s.touch('a', 200);
    c.ms = 150;
    assert.deepEqual(await s.get('a'), { data: { n: 1 }, createdMs: 0, expiresMs: 200 });
  });

  test('rejects a maxSessions below 1', () => {
    assert.throws(() => memorySessionStore({ maxSessions: 0 }), RangeError);
  });
});
