import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCookies, serializeCookie, signCookieValue, unsignCookieValue, type CookieOptions } from '../../src/app/cookies.js';
import { App } from '../../src/app/index.js';

describe('parseCookies (RFC 6265 §4.2.1, §5.4)', () => {
  const rows: Array<{ name: string; input: string | undefined; want: Record<string, string> }> = [
    { name: 'absent', input: undefined, want: {} },
    { name: 'one', input: 'a=1', want: { a: '1' } },
    { name: 'several with spaces', input: 'a=1;  b=2 ;c=3', want: { a: '1', b: '2', c: '3' } },
    { name: 'first wins', input: 'a=1; a=2', want: { a: '1' } },
    { name: 'quoted value', input: 'a="x y"', want: { a: 'x y' } },
    { name: 'percent-decoded', input: 'a=%C3%A9%3B', want: { a: 'é;' } },
    { name: 'bad escape kept as is', input: 'a=%E0%A4%A', want: { a: '%E0%A4%A' } },
    { name: 'pair without = skipped', input: 'junk; a=1', want: { a: '1' } },
    { name: 'empty name skipped', input: '=x; b=2', want: { b: '2' } },
    { name: 'value may contain =', input: 'a=b=c', want: { a: 'b=c' } },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual({ ...parseCookies(r.input) }, { ...r.want }));
  test('null prototype; __proto__ is a plain key', () => {
    const c = parseCookies('__proto__=x; a=1');
    assert.equal(Object.getPrototypeOf(c), null);
    assert.equal(Object.getOwnPropertyDescriptor(c, '__proto__')?.value, 'x');
  });
});

describe('serializeCookie (RFC 6265 §4.1)', () => {
  const rows: Array<{ name: string; input: [string, string, CookieOptions]; want: string }> = [
    { name: 'defaults', input: ['a', 'b', {}], want: 'a=b; Path=/; HttpOnly; SameSite=Lax' },
    {
      name: 'every attribute',
      input: ['sid', 'x y;z', { maxAgeSeconds: 3600.7, expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), path: '/app', domain: 'example.com', secure: true, httpOnly: false, sameSite: 'None', partitioned: true }],
      want: 'sid=x%20y%3Bz; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; Domain=example.com; Secure; SameSite=None; Partitioned',
    },
    { name: 'strict', input: ['a', '', { sameSite: 'Strict' }], want: 'a=; Path=/; HttpOnly; SameSite=Strict' },
    { name: '__Host- prefix ok', input: ['__Host-id', '1', { secure: true }], want: '__Host-id=1; Path=/; Secure; HttpOnly; SameSite=Lax' },
  ];
  for (const r of rows) test(r.name, () => assert.equal(serializeCookie(...r.input), r.want));

  const bad: Array<{ name: string; input: [string, string, CookieOptions] }> = [
    { name: 'bad name', input: ['a b', 'x', {}] },
    { name: 'name with =', input: ['a=b', 'x', {}] },
    { name: 'SameSite=None without Secure', input: ['a', 'x', { sameSite: 'None' }] },
    { name: 'Partitioned without Secure', input: ['a', 'x', { partitioned: true }] },
    { name: '__Secure- without Secure', input: ['__Secure-a', 'x', {}] },
    { name: '__Host- with Domain', input: ['__Host-a', 'x', { secure: true, domain: 'a.com' }] },
    { name: 'path with ;', input: ['a', 'x', { path: '/;Secure' }] },
    { name: 'domain with ;', input: ['a', 'x', { domain: 'a.com; x' }] },
    { name: 'invalid date', input: ['a', 'x', { expires: new Date(NaN) }] },
  ];
  for (const r of bad) test(`rejects ${r.name}`, () => assert.throws(() => serializeCookie(...r.input), TypeError));
});

describe('signed cookies (HMAC-SHA256)', () => {
  test('round trip', () => {
    const s = signCookieValue('sid', 'user-1', ['k1']);
    assert.match(s, /^user-1\.[A-Za-z0-9_-]{43}$/);
    assert.equal(unsignCookieValue('sid', s, ['k1']), 'user-1');
  });
  test('key rotation: old key still verifies, new key signs', () => {
    const old = signCookieValue('sid', 'v', ['old']);
    assert.equal(unsignCookieValue('sid', old, ['new', 'old']), 'v');
    assert.notEqual(signCookieValue('sid', 'v', ['new', 'old']), old);
    assert.equal(unsignCookieValue('sid', old, ['new']), undefined);
  });
  const s = signCookieValue('sid', 'user-1', ['k1']);
  const tampered = [
    { name: 'value changed', input: s.replace('user-1', 'user-2') },
    { name: 'signature changed', input: s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A') },
    { name: 'signature extended', input: s + 'A' },
    { name: 'signature dropped', input: 'user-1' },
    { name: 'empty signature', input: 'user-1.' },
  ];
  for (const t of tampered) test(`tampered: ${t.name} → rejected`, () => assert.equal(unsignCookieValue('sid', t.input, ['k1']), undefined));
  test('a value signed for another cookie name is rejected', () => {
    assert.equal(unsignCookieValue('admin', signCookieValue('sid', 'yes', ['k']), ['k']), undefined);
  });
  test('signing without keys is a programming error', () => {
    assert.throws(() => signCookieValue('a', 'b', []), TypeError);
  });
});

test('through the App: set, read back, tamper', async () => {
  const app = new App({ keys: ['s3cret'], onError: () => undefined });
  app.get('/login', (ctx) => {
    ctx.setCookie('sid', 'ann', { signed: true, secure: true, maxAgeSeconds: 60 }).setCookie('theme', 'dark', { httpOnly: false });
    ctx.text('ok');
  });
  app.get('/me', (ctx) => ctx.json({ user: ctx.signedCookie('sid') ?? null, theme: ctx.cookie('theme') ?? null }));
  app.get('/logout', (ctx) => ctx.clearCookie('sid').text('bye'));

  const login = await app.request('/login');
  const set = login.headers.getSetCookie();
  assert.equal(set.length, 2);
  assert.match(set[0]!, /^sid=ann\.[A-Za-z0-9_-]{43}; Max-Age=60; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  assert.equal(set[1], 'theme=dark; Path=/; SameSite=Lax');
  const sid = set[0]!.split(';')[0]!;

  const me = await app.request('/me', { headers: { cookie: `${sid}; theme=dark` } });
  assert.deepEqual(await me.json(), { user: 'ann', theme: 'dark' });

  const forged = sid.replace('ann', 'admin');
  const me2 = await app.request('/me', { headers: { cookie: forged } });
  assert.deepEqual(await me2.json(), { user: null, theme: null });

  const out = await app.request('/logout');
  assert.equal(out.headers.get('set-cookie'), 'sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax');
});

describe('cookie properties', () => {
  test('parseCookies never throws and keeps names it returns free of ";"', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        for (const k of Object.keys(parseCookies(s))) assert.ok(!k.includes(';'));
      }),
      { numRuns: 1000 },
    );
  });

  test('serialize → parse round-trips any well-formed value', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (v) => {
        const line = serializeCookie('n', v);
        assert.equal(parseCookies(line.split('; ')[0]).n, v);
      }),
      { numRuns: 1000 },
    );
  });

  test('a lone surrogate is a TypeError, not a URIError', () => {
    assert.throws(() => serializeCookie('n', '\uD800'), TypeError);
  });
});
