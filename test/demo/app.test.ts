// The demo site: every part, in memory (app.request) and over real sockets, on SQLite and
// (when KEEL_TEST_PG_URL is set) PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import { createDemo, DEMO_CSP, FILES_CSP, printable, type Demo, type DemoOptions } from '../../src/demo/app.js';
import { NAV } from '../../src/demo/views/layout.js';
import { HOME_REQUESTS } from '../../src/demo/views/home.js';
import { SESSION_COOKIE, SESSION_COOKIE_HTTPS } from '../../src/demo/csrf.js';
import { redactedValue } from '../../src/demo/redact.js';
import { signCookieValue } from '../../src/app/cookies.js';
import { clientInfo } from '../../src/server/trusted-proxy.js';
import { Client } from '../../src/client/index.js';
import { backends, withFresh, type Fresh } from '../db/backends.js';
import { exchange } from '../helpers/socket.js';

const JPEG = readFileSync(new URL('../../src/demo/public/test.jpg', import.meta.url));
const FIXED_NOW = 1_700_000_000_000;

/** Undoes the html template's escaping (the five characters it escapes, plus backquote). */
function unescapeHtml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&amp;/g, '&');
}

/** The visitor's cookie jar for one test: keeps the session cookie (which the CSRF token is bound to) between requests. */
function cookieOf(res: Response, name = SESSION_COOKIE): string | undefined {
  const c = res.headers.getSetCookie().find((v) => v.startsWith(`${name}=`));
  return c?.split(';')[0];
}

/** What a browser sends for a page: HTML first. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The navigation bar's links, in order, as found in a page. */
function navHrefs(html: string): string[] {
  const nav = /<nav>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
  return [...nav.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
}

function tokenOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the form carries a CSRF token');
  return m[1]!;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe('printable (request lines on the terminal)', () => {
  const rows = [
    { name: 'plain line unchanged', input: 'GET /a?b=c HTTP/1.1', want: 'GET /a?b=c HTTP/1.1' },
    { name: 'escape sequence neutralised', input: 'GET /\x1b[2J HTTP/1.1', want: 'GET /\\x1b[2J HTTP/1.1' },
    { name: 'obs-text shown as hex', input: 'GET /caf\xe9 HTTP/1.1', want: 'GET /caf\\xe9 HTTP/1.1' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(printable(input), want));
});

for (const backend of backends) {
  describe(`demo site on ${backend.dialect}`, { skip: backend.skip }, () => {
    async function withDemo(fn: (demo: Demo, logs: string[], f: Fresh) => Promise<void>, options: Partial<DemoOptions> = {}): Promise<void> {
      return withFresh(backend, async (f) => {
        const logs: string[] = [];
        const demo = await createDemo({ db: f.db, log: (l) => logs.push(l), now: () => FIXED_NOW, ...options });
        try {
          await fn(demo, logs, f);
        } finally {
          demo.stopStreams();
        }
      });
    }

    /** GET /guestbook, returning the cookie and token a browser would keep. */
    async function visit(demo: Demo, cookie?: string): Promise<{ cookie: string; token: string; html: string }> {
      const res = await demo.app.request('/guestbook', { headers: cookie ? { cookie } : {} });
      assert.equal(res.status, 200);
      const html = await res.text();
      return { cookie: cookie ?? cookieOf(res)!, token: tokenOf(html), html };
    }

    function post(demo: Demo, body: string, headers: Record<string, string> = {}): Promise<Response> {
      return demo.app.request('/guestbook', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
        redirect: 'manual',
      });
    }

    test('/ is the tutorial page: "Wow", the picture, links to every part, security headers', () =>
      withDemo(async (demo, logs) => {
        const res = await demo.app.request('/');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(res.headers.get('content-security-policy'), DEMO_CSP);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        const html = await res.text();
        assert.match(html, /<h1>Wow, a keel Server!<\/h1>/);
        assert.match(html, /<img id="boat" src="test\.jpg"/);
        for (const [href] of NAV) assert.ok(html.includes(`href="${href}"`), `links to ${href}`);
        assert.doesNotMatch(html, /<script>|style=/, 'no inline script or style (CSP)');
        assert.deepEqual(logs, ['GET / HTTP/1.1']);
      }));

    // Issue #13 item 10: the lesson lists the request lines the terminal shows for a first visit.
    test('/ lists exactly the requests its HTML causes: the page and every file it names', () =>
      withDemo(async (demo) => {
        const html = await (await demo.app.request('/')).text();
        const named = [...html.matchAll(/<(?:link|img|script)\b[^>]*?(?:href|src)="([^"]+)"/g)].map((m) => new URL(m[1]!, 'http://x/').pathname);
        assert.deepEqual([...HOME_REQUESTS].sort(), ['/', ...named].sort());
        const shown = /<pre id="request-lines" class="terminal">([\s\S]*?)<\/pre>/.exec(html)?.[1];
        assert.equal(shown, HOME_REQUESTS.map((p) => `GET ${p} HTTP/1.1\n`).join(''));
        for (const path of HOME_REQUESTS) assert.equal((await demo.app.request(path)).status, 200, path);
      }));

    test('/test.jpg is the JPEG, as image/jpeg, with validators', () =>
      withDemo(async (demo) => {
        const res = await demo.app.request('/test.jpg');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'image/jpeg');
        assert.ok(res.headers.get('etag'));
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), JPEG);
        const again = await demo.app.request('/test.jpg', { headers: { 'if-none-match': res.headers.get('etag')! } });
        assert.equal(again.status, 304);
      }));

    describe('public files', () => {
      const rows = [
        { name: 'stylesheet', input: '/style.css', want: /^text\/css/ },
        { name: 'clock script', input: '/clock.js', want: /^(text|application)\/javascript/ },
        { name: 'icon', input: '/favicon.svg', want: /^image\/svg\+xml/ },
      ];
      for (const { name, input, want } of rows) {
        test(`${name} ${input}`, () =>
          withDemo(async (demo) => {
            const res = await demo.app.request(input);
            assert.equal(res.status, 200);
            assert.match(res.headers.get('content-type') ?? '', want);
            assert.ok((await res.arrayBuffer()).byteLength > 0);
          }));
      }
      test('/favicon.ico redirects to the SVG icon', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/favicon.ico', { redirect: 'manual' });
          assert.equal(res.status, 301);
          assert.equal(res.headers.get('location'), '/favicon.svg');
        }));
    });

    describe('/time', () => {
      const rows = [
        { name: 'no Accept', input: undefined, want: 'text/html; charset=utf-8' },
        { name: 'browser Accept', input: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', want: 'text/html; charset=utf-8' },
        { name: 'JSON', input: 'application/json', want: 'application/json' },
        { name: 'JSON preferred by q', input: 'text/html;q=0.5, application/json;q=0.9', want: 'application/json' },
        { name: 'any type', input: '*/*', want: 'text/html; charset=utf-8' },
        { name: 'application/*', input: 'application/*', want: 'application/json' },
        { name: 'html refused', input: 'text/html;q=0, */*', want: 'application/json' },
      ];
      for (const { name, input, want } of rows) {
        test(`${name} -> ${want}`, () =>
          withDemo(async (demo) => {
            const res = await demo.app.request('/time', { headers: input === undefined ? {} : { accept: input } });
            assert.equal(res.status, 200);
            assert.equal(res.headers.get('content-type'), want);
            assert.equal(res.headers.get('vary'), 'Accept');
            const body = await res.text();
            if (want === 'application/json') assert.deepEqual(JSON.parse(body), { iso: '2023-11-14T22:13:20.000Z', epochMs: FIXED_NOW });
            else assert.match(body, /<time id="server-time" datetime="2023-11-14T22:13:20.000Z">/);
          }));
      }
      test('HEAD /time/stream answers the head and ends (no stream is left open)', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/time/stream', { method: 'HEAD' });
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
          assert.equal(await res.text(), '');
        }));
      test('an Accept that allows neither is 406', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/time', { headers: { accept: 'image/png' } });
          assert.equal(res.status, 406);
        }));
    });

    describe('guestbook', () => {
      test('a visit sets an HttpOnly SameSite session cookie and puts a token in the form', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/guestbook');
          const setCookie = res.headers.getSetCookie().find((v) => v.startsWith(`${SESSION_COOKIE}=`));
          assert.ok(setCookie);
          assert.match(setCookie, /HttpOnly/i);
          assert.match(setCookie, /SameSite=Lax/i);
          assert.equal(res.headers.get('cache-control'), 'no-store');
          tokenOf(await res.text());
          // A returning visitor keeps the cookie: no new Set-Cookie.
          const again = await demo.app.request('/guestbook', { headers: { cookie: cookieOf(res)! } });
          assert.deepEqual(again.headers.getSetCookie(), []);
        }));

      test('a valid post is stored, redirects 303, and is shown escaped', () =>
        withDemo(async (demo, logs) => {
          const { cookie, token } = await visit(demo);
          const res = await post(demo, form({ csrf: token, name: 'Ada <b>', message: '<script>alert(1)</script>\r\nline 2' }), { cookie });
          assert.equal(res.status, 303);
          assert.equal(res.headers.get('location'), '/guestbook?added=1');
          const page = await (await demo.app.request('/guestbook?added=1', { headers: { cookie } })).text();
          assert.match(page, /Thank you! Your entry is in the guestbook\./);
          assert.match(page, /<strong>Ada &lt;b&gt;<\/strong>/);
          assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\nline 2/);
          assert.doesNotMatch(page, /<script>alert/);
          assert.match(page, /<h2>1 entry<\/h2>/);
          assert.ok(logs.some((l) => /^guestbook: entry \d+ added$/.test(l)));
        }));

      const invalid: Array<{ name: string; input: Record<string, string>; want: string[] }> = [
        { name: 'empty fields', input: { name: '', message: '' }, want: ['Please give a name.', 'Please write a message.'] },
        { name: 'name too long', input: { name: 'x'.repeat(61), message: 'hi' }, want: ['A name has at most 60 characters.'] },
        { name: 'missing message field', input: { name: 'Bob' }, want: ['Please write a message.'] },
      ];
      for (const { name, input, want } of invalid) {
        test(`bad input (${name}) re-renders the form with errors and the text kept: 422, nothing stored`, () =>
          withDemo(async (demo) => {
            const { cookie, token } = await visit(demo);
            const res = await post(demo, form({ csrf: token, ...input }), { cookie });
            assert.equal(res.status, 422);
            const html = await res.text();
            for (const message of want) assert.ok(html.includes(message), message);
            if (input.name) assert.ok(html.includes(`value="${input.name}"`), 'name kept');
            assert.match(html, /<h2>0 entries<\/h2>/);
          }));
      }

      test('markup in rejected input is escaped when the form is re-rendered', () =>
        withDemo(async (demo) => {
          const { cookie, token } = await visit(demo);
          const res = await post(demo, form({ csrf: token, name: '"><script>x</script>', message: '' }), { cookie });
          assert.equal(res.status, 422);
          const html = await res.text();
          assert.ok(html.includes('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'));
          assert.doesNotMatch(html, /<script>x/);
        }));

      const forged = [
        { name: 'no token', input: (t: string, c: string) => ({ body: form({ name: 'a', message: 'b' }), cookie: c }) },
        { name: 'wrong token', input: (t: string, c: string) => ({ body: form({ csrf: `${t.slice(0, -2)}AA`, name: 'a', message: 'b' }), cookie: c }) },
        { name: 'no cookie', input: (t: string) => ({ body: form({ csrf: t, name: 'a', message: 'b' }), cookie: '' }) },
        { name: "another visitor's cookie", input: (t: string) => ({ body: form({ csrf: t, name: 'a', message: 'b' }), cookie: `${SESSION_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA` }) },
      ];
      for (const { name, input } of forged) {
        test(`a post with ${name} is refused with 403, the text kept, nothing stored`, () =>
          withDemo(async (demo) => {
            const { cookie, token } = await visit(demo);
            const { body, cookie: sent } = input(token, cookie);
            const res = await post(demo, body, sent ? { cookie: sent } : {});
            assert.equal(res.status, 403);
            const html = await res.text();
            assert.match(html, /This form has expired or was sent from another site/);
            assert.ok(html.includes('value="a"'));
            assert.match(html, /<h2>0 entries<\/h2>/);
          }));
      }

      test('the wrong body type is 415 and an oversized form 413, never 500', () =>
        withDemo(async (demo) => {
          const { cookie } = await visit(demo);
          const json = await post(demo, '{"name":"a"}', { cookie, 'content-type': 'application/json' });
          assert.equal(json.status, 415);
          const huge = await post(demo, `name=${'x'.repeat(20_000)}`, { cookie });
          assert.equal(huge.status, 413);
        }));

      test('paginates newest first; bad page numbers fall back, never 500', () =>
        withDemo(
          async (demo) => {
            const { cookie, token } = await visit(demo);
            for (let i = 1; i <= 5; i++) assert.equal((await post(demo, form({ csrf: token, name: `n${i}`, message: `m${i}` }), { cookie })).status, 303);
            const names = async (q: string) => {
              const html = await (await demo.app.request(`/guestbook${q}`, { headers: { cookie } })).text();
              return [...html.matchAll(/<strong>(n\d)<\/strong>/g)].map((m) => m[1]);
            };
            const rows = [
              { name: 'first page', input: '', want: ['n5', 'n4'] },
              { name: 'page 2', input: '?page=2', want: ['n3', 'n2'] },
              { name: 'last page', input: '?page=3', want: ['n1'] },
              { name: 'past the end', input: '?page=999', want: ['n1'] },
              { name: 'not a number', input: '?page=abc', want: ['n5', 'n4'] },
              { name: 'negative', input: '?page=-1', want: ['n5', 'n4'] },
              { name: 'huge', input: `?page=${'9'.repeat(40)}`, want: ['n5', 'n4'] },
            ];
            for (const { name, input, want } of rows) assert.deepEqual(await names(input), want, name);
            const html = await (await demo.app.request('/guestbook?page=2', { headers: { cookie } })).text();
            assert.match(html, /<a rel="prev" href="\/guestbook\?page=1">/);
            assert.match(html, /<a rel="next" href="\/guestbook\?page=3">/);
            assert.match(html, /page 2 of 3/);
          },
          { pageSize: 2 },
        ));

      test('a second instance on the same database accepts the first one\'s token and shows its entries', () =>
        withDemo(async (demo, _logs, f) => {
          const { cookie, token } = await visit(demo);
          const other = await createDemo({ db: await f.openAnother(), log: () => {}, now: () => FIXED_NOW });
          assert.deepEqual(other.migrated, [], 'the schema was already current');
          const res = await post(other, form({ csrf: token, name: 'Grace', message: 'from instance 2' }), { cookie });
          assert.equal(res.status, 303);
          const html = await (await demo.app.request('/guestbook', { headers: { cookie } })).text();
          assert.match(html, /<strong>Grace<\/strong>/);
        }));

      // Issue #12 item 13: the session cookie is signed; a value the server did not issue is never kept.
      test('a planted unsigned session cookie is replaced, and the token shown with it is refused (403)', () =>
        withDemo(async (demo) => {
          const planted = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
          const res = await demo.app.request('/guestbook', { headers: { cookie: planted } });
          const fresh = cookieOf(res);
          assert.ok(fresh, 'a new cookie is issued');
          assert.notEqual(fresh, planted);
          const token = tokenOf(await res.text());
          const withPlanted = await post(demo, form({ csrf: token, name: 'a', message: 'b' }), { cookie: planted });
          assert.equal(withPlanted.status, 403);
          const withFresh = await post(demo, form({ csrf: token, name: 'a', message: 'b' }), { cookie: fresh });
          assert.equal(withFresh.status, 303, 'the token belongs to the cookie the server issued');
        }));

      test('a real session id signed with another key is not believed: replaced, and its token refused', () =>
        withDemo(async (demo) => {
          const { cookie, token } = await visit(demo);
          const id = cookie.split('=')[1]!.split('.')[0]!;
          const forged = `${SESSION_COOKIE}=${signCookieValue(SESSION_COOKIE, id, ['attacker-key'])}`;
          const res = await demo.app.request('/guestbook', { headers: { cookie: forged } });
          assert.ok(cookieOf(res), 'a new cookie is issued');
          assert.notEqual(cookieOf(res), cookie);
          await res.arrayBuffer();
          const sent = await post(demo, form({ csrf: token, name: 'a', message: 'b' }), { cookie: forged });
          assert.equal(sent.status, 403);
        }));

      test("another visitor's token is refused with one's own session (tokens are bound to a session)", () =>
        withDemo(async (demo) => {
          const mine = await visit(demo);
          const theirs = await visit(demo);
          assert.equal((await post(demo, form({ csrf: theirs.token, name: 'a', message: 'b' }), { cookie: mine.cookie })).status, 403);
          assert.equal((await post(demo, form({ csrf: mine.token, name: 'a', message: 'b' }), { cookie: mine.cookie })).status, 303);
        }));

      test('the session remembers the name of a visitor who signed, and prefills the form with it; others get an empty field', () =>
        withDemo(async (demo, _logs, f) => {
          const { cookie, token } = await visit(demo);
          const res = await post(demo, form({ csrf: token, name: 'Ada <L>', message: 'hello' }), { cookie });
          assert.equal(res.status, 303);
          const again = await visit(demo, cookie);
          assert.match(again.html, /name="name"[^>]*value="Ada &lt;L&gt;"/, 'prefilled, escaped');
          assert.match(again.html, /<textarea name="message"[^>]*><\/textarea>/, 'the message is not kept');
          const stranger = await visit(demo);
          assert.match(stranger.html, /name="name"[^>]*value=""/);
          // The session lives in the database, not in the process: another instance remembers too.
          const other = await createDemo({ db: await f.openAnother(), log: () => {}, now: () => FIXED_NOW });
          const html = await (await other.app.request('/guestbook', { headers: { cookie } })).text();
          assert.match(html, /name="name"[^>]*value="Ada &lt;L&gt;"/);
        }));

      const fetchSites = [
        { name: 'cross-site', input: 'cross-site', want: 403 },
        { name: 'same-site (a sibling subdomain)', input: 'same-site', want: 403 },
        { name: 'same-origin', input: 'same-origin', want: 303 },
        { name: 'absent', input: undefined, want: 303 },
      ];
      for (const { name, input, want } of fetchSites) {
        test(`a post with a valid token and Sec-Fetch-Site ${name} gets ${want}`, () =>
          withDemo(async (demo) => {
            const { cookie, token } = await visit(demo);
            const headers: Record<string, string> = input === undefined ? { cookie } : { cookie, 'sec-fetch-site': input };
            const res = await post(demo, form({ csrf: token, name: 'a', message: 'b' }), headers);
            assert.equal(res.status, want);
          }));
      }

      const schemes: Array<{ name: string; input: { url: string; headers?: Record<string, string>; options?: Partial<DemoOptions> }; want: { cookie: string; secure: boolean } }> = [
        { name: 'plain http', input: { url: 'http://demo.test/guestbook' }, want: { cookie: SESSION_COOKIE, secure: false } },
        { name: 'a TLS connection', input: { url: 'https://demo.test/guestbook' }, want: { cookie: SESSION_COOKIE_HTTPS, secure: true } },
        {
          name: 'https through a trusted proxy',
          input: {
            url: 'http://demo.test/guestbook',
            headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
            options: { clientProtocol: (req) => clientInfo(req, { trustedProxies: ['loopback'] }).protocol },
          },
          want: { cookie: SESSION_COOKIE_HTTPS, secure: true },
        },
        {
          name: 'X-Forwarded-Proto from a peer that is not a trusted proxy',
          input: {
            url: 'http://demo.test/guestbook',
            headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
            options: { clientProtocol: (req) => clientInfo(req, { trustedProxies: ['10.0.0.0/8'] }).protocol },
          },
          want: { cookie: SESSION_COOKIE, secure: false },
        },
        {
          name: 'X-Forwarded-Proto without clientProtocol (no proxy configured)',
          input: { url: 'http://demo.test/guestbook', headers: { 'x-forwarded-proto': 'https' } },
          want: { cookie: SESSION_COOKIE, secure: false },
        },
      ];
      for (const { name, input, want } of schemes) {
        test(`over ${name} the cookie is ${want.cookie}${want.secure ? '; Secure' : ' without Secure'}, and its form posts`, () =>
          withDemo(async (demo) => {
            const res = await demo.app.request(input.url, { headers: input.headers ?? {} });
            const setCookie = res.headers.getSetCookie();
            assert.equal(setCookie.length, 1);
            assert.ok(setCookie[0]!.startsWith(`${want.cookie}=`), setCookie[0]);
            assert.equal(/;\s*Secure(;|$)/i.test(setCookie[0]!), want.secure, setCookie[0]);
            const cookie = setCookie[0]!.split(';')[0]!;
            const token = tokenOf(await res.text());
            const sent = await demo.app.request(input.url, {
              method: 'POST',
              headers: { ...input.headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
              body: form({ csrf: token, name: 'a', message: 'b' }),
              redirect: 'manual',
            });
            assert.equal(sent.status, 303);
          }, input.options));
      }

      test('over real sockets, behind a trusted proxy saying https, the cookie is Secure', () =>
        withDemo(
          async (demo) => {
            const server = await demo.app.listen(0, '127.0.0.1');
            // keel's own client (#17), closed with the server.
            const client = new Client(`http://127.0.0.1:${server.port}`);
            try {
              const res = await client.request({ path: '/guestbook', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1' } });
              await res.body.dump();
              const setCookie = res.rawHeaders.find((_, i, raw) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'set-cookie');
              assert.match(setCookie ?? '', /^__Host-keel_sid=[^;]+; Max-Age=604800; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
            } finally {
              await client.close();
              await server.close();
            }
          },
          { clientProtocol: (req) => clientInfo(req, { trustedProxies: ['127.0.0.1'] }).protocol },
        ));

      test('configured keys: instances given the same keys share tokens; another key refuses them; rotation keeps old ones', () =>
        withDemo(
          async (demo, _logs, f) => {
            const { cookie, token } = await visit(demo);
            const body = form({ csrf: token, name: 'a', message: 'b' });
            const rows = [
              { name: 'same keys', input: ['key-one'], want: 303 },
              { name: 'rotated: a new key first, the old one still verifies', input: ['key-two', 'key-one'], want: 303 },
              { name: 'another key only', input: ['key-two'], want: 403 },
            ];
            for (const { name, input, want } of rows) {
              const other = await createDemo({ db: await f.openAnother(), log: () => {}, now: () => FIXED_NOW, keys: input });
              assert.equal((await post(other, body, { cookie })).status, want, name);
            }
          },
          { keys: ['key-one'] },
        ));

      test('keys must not be empty', () =>
        withDemo(async (_demo, _logs, f) => {
          for (const keys of [[], ['']]) await assert.rejects(createDemo({ db: f.db, keys }), TypeError);
        }));
    });

    test('/files/ lists the directory and serves its files', () =>
      withDemo(async (demo) => {
        const list = await demo.app.request('/files/');
        assert.equal(list.status, 200);
        const html = await list.text();
        for (const name of ['README.txt', 'sailboat.jpg', 'tutorial/']) assert.ok(html.includes(name), name);
        const readme = await demo.app.request('/files/README.txt');
        assert.equal(readme.status, 200);
        assert.match(readme.headers.get('content-type') ?? '', /^text\/plain/);
        assert.match(await readme.text(), /static file handler/);
        assert.equal((await demo.app.request('/files/../package.json')).status === 200, false);
        const redirect = await demo.app.request('/files', { redirect: 'manual' });
        assert.equal(redirect.status, 301);
      }));

    // Issue #13 item 9: directory listings are pages of the site, with its navigation.
    for (const path of ['/files/', '/files/tutorial/']) {
      test(`${path} is the static handler's listing in the site's layout: nav, stylesheet, our CSP, no inline style`, () =>
        withDemo(async (demo) => {
          const res = await demo.app.request(path);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-security-policy'), DEMO_CSP);
          assert.equal(res.headers.get('cache-control'), 'no-store');
          const html = await res.text();
          assert.deepEqual(navHrefs(html), NAV.map(([href]) => href));
          assert.match(html, /<a href="\/files\/" aria-current="page">Files<\/a>/);
          assert.match(html, /<h1>Index of \/files\/(tutorial\/)?<\/h1>/);
          assert.match(html, /<link rel="stylesheet" href="\/style.css">/);
          assert.doesNotMatch(html, /<style|style=/);
          assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(html));
          const head = await demo.app.request(path, { method: 'HEAD' });
          assert.equal(head.status, 200);
          assert.equal(head.headers.get('content-length'), res.headers.get('content-length'), 'HEAD has the fields of GET (RFC 9110 §9.3.2)');
          assert.equal(await head.text(), '');
        }));
    }

    // Issue #12 item 13: every response has a CSP and a framing rule; files run no script.
    const policies = [
      { name: 'home page', input: '/', want: DEMO_CSP },
      { name: 'CGI index (was without CSP)', input: '/cgi-bin/', want: DEMO_CSP },
      { name: 'CGI output', input: '/cgi-bin/env.py', want: DEMO_CSP },
      { name: 'a directory listing', input: '/files/', want: DEMO_CSP },
      { name: 'a text file', input: '/files/README.txt', want: FILES_CSP },
      { name: 'an HTML file under /files/', input: '/files/tutorial/index-of-steps.html', want: FILES_CSP },
      { name: 'an image', input: '/files/sailboat.jpg', want: FILES_CSP },
      { name: 'a 404 under /files/ (our page)', input: '/files/missing.txt', want: DEMO_CSP },
    ];
    for (const { name, input, want } of policies) {
      test(`CSP and X-Frame-Options of ${name} (${input})`, () =>
        withDemo(async (demo) => {
          const res = await demo.app.request(input, { headers: { accept: BROWSER_ACCEPT } });
          await res.arrayBuffer();
          assert.equal(res.headers.get('content-security-policy'), want);
          assert.equal(res.headers.get('x-frame-options'), 'DENY');
          assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        }));
    }
    test('the files policy runs no script and sandboxes documents', () => {
      assert.match(FILES_CSP, /default-src 'none'/);
      assert.doesNotMatch(FILES_CSP, /script-src/);
      assert.match(FILES_CSP, /(^|; )sandbox(;|$)/);
      assert.match(FILES_CSP, /frame-ancestors 'none'/);
    });

    // Issue #13 item 9: a browser's 404 is a page of the site; API clients keep the JSON error.
    describe('404', () => {
      const missing = ['/no/such/page', '/files/missing.txt', '/files/no-dir/', '/cgi-bin/missing.py', '/cgi-bin/missing.py/extra'];
      const accepts = [
        { name: 'a browser', input: BROWSER_ACCEPT, want: 'text/html; charset=utf-8' },
        { name: 'no Accept (curl, libraries)', input: undefined, want: 'application/json' },
        { name: 'any type', input: '*/*', want: 'application/json' },
        { name: 'JSON', input: 'application/json', want: 'application/json' },
      ];
      for (const path of missing) {
        for (const { name, input, want } of accepts) {
          test(`${path} for ${name} is a 404 as ${want}`, () =>
            withDemo(async (demo, logs) => {
              const res = await demo.app.request(path, { headers: input === undefined ? {} : { accept: input } });
              assert.equal(res.status, 404);
              assert.equal(res.headers.get('content-type'), want);
              assert.equal(res.headers.get('cache-control'), 'no-store');
              const body = await res.text();
              if (want === 'application/json') {
                assert.deepEqual(JSON.parse(body), { error: { status: 404, code: 'ERR_NOT_FOUND', message: 'Not Found' } });
              } else {
                assert.deepEqual(navHrefs(body), NAV.map(([href]) => href));
                assert.match(body, /<h1>404 Not Found<\/h1>/);
                assert.match(body, /<meta name="viewport"/);
                assert.equal(body.includes(path), false, 'the request path is not echoed');
                assert.equal(res.headers.get('content-security-policy'), DEMO_CSP);
                assert.equal(res.headers.get('vary'), 'Accept');
              }
              assert.ok(logs.includes('error 404 ERR_NOT_FOUND'), 'the terminal shows the refusal');
            }));
        }
      }
      test('HEAD of a missing page is a 404 without a body', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/no/such/page', { method: 'HEAD', headers: { accept: BROWSER_ACCEPT } });
          assert.equal(res.status, 404);
          assert.equal(await res.text(), '');
        }));
      test('other errors keep the App mapping (405 with Allow)', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/time', { method: 'DELETE', headers: { accept: BROWSER_ACCEPT } });
          assert.equal(res.status, 405);
          assert.ok(res.headers.get('allow'));
        }));
    });

    describe('/cgi-bin/', () => {
      test('the index lists both scripts', () =>
        withDemo(async (demo) => {
          const html = await (await demo.app.request('/cgi-bin/')).text();
          assert.match(html, /href="\/cgi-bin\/env\.py"/);
          assert.match(html, /href="\/cgi-bin\/form\.sh"/);
        }));
      for (const script of ['env.py', 'form.sh']) {
        test(`${script} prints its environment and the GET fields`, () =>
          withDemo(async (demo) => {
            const res = await demo.app.request(`/cgi-bin/${script}?q=a%20%3Cb%3E`);
            assert.equal(res.status, 200);
            const html = await res.text();
            assert.match(html, /<li><code>q<\/code> = a &lt;b&gt;<\/li>/);
            assert.match(html, /REQUEST_METHOD/);
            assert.match(html, /GATEWAY_INTERFACE/);
            assert.doesNotMatch(html, /DATABASE_URL|KEEL_TEST_PG_URL/, 'server secrets stay out of the CGI environment');
          }));
        // Issue #13 items 9 and 11: CGI pages are pages of the site, and hide secrets as the inspector does.
        test(`${script} has the site's nav and a viewport, and hides cookie values as /inspect does`, () =>
          withDemo(async (demo) => {
            const cookie = 'keel_csrf=SECRETNONCE.SIG; theme=dark';
            const res = await demo.app.request(`/cgi-bin/${script}`, { headers: { cookie } });
            assert.equal(res.status, 200);
            const html = await res.text();
            assert.deepEqual(navHrefs(html), NAV.map(([href]) => href));
            assert.match(html, /<a href="\/cgi-bin\/" aria-current="page">CGI<\/a>/);
            assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
            assert.doesNotMatch(html, /SECRETNONCE|dark/);
            const shownByInspector = redactedValue('Cookie', cookie);
            assert.equal(shownByInspector, 'keel_csrf=(hidden); theme=(hidden)');
            assert.ok(html.includes(shownByInspector), 'the same text as the inspector');
            assert.doesNotMatch(html, /KEEL_DEMO_NAV/, 'the nav variable is not listed');
            assert.doesNotMatch(html, /<style|style=|<script/, 'nothing the CSP would block');
          }));
        test(`${script} handles a POSTed form`, () =>
          withDemo(async (demo) => {
            const res = await demo.app.request(`/cgi-bin/${script}`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: form({ message: 'héllo & <bye>' }),
            });
            assert.equal(res.status, 200);
            assert.match(await res.text(), /<li><code>message<\/code> = héllo &amp; &lt;bye&gt;<\/li>/);
          }));
      }
    });

    describe('over real sockets', () => {
      async function listen(demo: Demo) {
        return demo.app.listen(0, '127.0.0.1');
      }

      test('/inspect shows the exact request bytes and the exact response head sent', () =>
        withDemo(async (demo) => {
          const server = await listen(demo);
          try {
            const request = 'GET /inspect?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: keel-test/1\r\nX-Odd-Case: A  b\r\nAccept: */*\r\n\r\n';
            const { bytes } = await exchange(server.port, request);
            const split = bytes.indexOf('\r\n\r\n') + 4;
            const sentHead = bytes.subarray(0, split).toString('latin1');
            const body = bytes.subarray(split).toString('utf8');
            const shown = (id: string) => {
              const m = new RegExp(`<pre id="${id}" class="wire">([\\s\\S]*?)</pre>`).exec(body);
              assert.ok(m, id);
              return unescapeHtml(m[1]!.replace(/<span class="crlf">\\r\\n<\/span><\/span>\n/g, '\r\n').replace(/<span class="line">/g, ''));
            };
            assert.equal(shown('request-head'), request);
            assert.equal(shown('response-head'), sentHead);
            assert.match(sentHead, /\r\nConnection: close\r\n\r\n$/);
            assert.equal(Number(/\r\nContent-Length: (\d+)\r\n/.exec(sentHead)?.[1]), Buffer.byteLength(body));
          } finally {
            await server.close();
          }
        }));

      test('/inspect hides cookie values and credentials', () =>
        withDemo(async (demo) => {
          const res = await demo.app.request('/inspect', { headers: { cookie: 'keel_csrf=SECRETNONCE; theme=dark', authorization: 'Basic c2VjcmV0' } });
          const html = await res.text();
          assert.doesNotMatch(html, /SECRETNONCE|c2VjcmV0/);
          assert.match(html, /keel_csrf=\(hidden\); theme=\(hidden\)/);
        }));

      test('/time/stream sends SSE ticks until the client leaves', () =>
        withDemo(
          async (demo) => {
            const server = await listen(demo);
            try {
              const socket = connect(server.port, '127.0.0.1');
              await once(socket, 'connect');
              socket.write('GET /time/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
              let text = '';
              socket.setEncoding('latin1');
              await new Promise<void>((resolve) => {
                socket.on('data', (t: string) => {
                  text += t;
                  if ((text.match(/event: tick/g) ?? []).length >= 2) resolve();
                });
              });
              assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
              assert.match(text, /\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/);
              assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/);
              assert.match(text, /retry: 3000\n\n/);
              assert.ok(text.includes(`event: tick\ndata: {"iso":"2023-11-14T22:13:20.000Z","epochMs":${FIXED_NOW}}\n\n`));
              socket.destroy();
              // The stream stopped when the client left: the server closes without waiting for it.
              await server.close();
            } finally {
              await server.close();
            }
          },
          { clockIntervalMs: 5 },
        ));

      test('stopStreams() ends open live clocks with a complete chunked body', () =>
        withDemo(async (demo) => {
          const server = await listen(demo);
          try {
            const socket = connect(server.port, '127.0.0.1');
            await once(socket, 'connect');
            socket.write('GET /time/stream HTTP/1.1\r\nHost: x\r\n\r\n');
            socket.setEncoding('latin1');
            let text = '';
            await new Promise<void>((resolve) => {
              socket.on('data', (t: string) => {
                const first = text === '';
                text += t;
                if (first) demo.stopStreams();
                if (text.endsWith('0\r\n\r\n')) resolve();
              });
            });
            socket.destroy();
          } finally {
            await server.close();
          }
        }));

      test('past maxClockStreams a new live clock gets 503', () =>
        withDemo(
          async (demo) => {
            const server = await listen(demo);
            try {
              const first = connect(server.port, '127.0.0.1');
              await once(first, 'connect');
              first.write('GET /time/stream HTTP/1.1\r\nHost: x\r\n\r\n');
              await once(first, 'data');
              const second = (await exchange(server.port, 'GET /time/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text;
              assert.match(second, /^HTTP\/1\.1 503 /);
              assert.match(second, /\r\nretry-after: 5\r\n/i);
              first.destroy();
            } finally {
              demo.stopStreams();
              await server.close();
            }
          },
          { maxClockStreams: 1 },
        ));
    });
  });
}
