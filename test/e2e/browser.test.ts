// A real browser (Debian's chromium driven by playwright-core) against `keel demo`:
// the picture decodes and the terminal shows the request lines the page promises, the
// guestbook form works and its entry survives a reload, the live clock ticks; then every
// page at 1280 px and at 390 px (a phone: the viewport meta tag is honoured): no
// horizontal overflow, the site's nav, one link colour (issue #13 items 9 and 10).
// Leaves screenshots in test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startProgram, type Started } from './helpers.js';
import { ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, skipWithoutChromium } from '../helpers/chromium.js';
import { NAV } from '../../src/demo/views/layout.js';
import { HOME_REQUESTS } from '../../src/demo/views/home.js';
import { MAX_NAME_CHARS } from '../../src/demo/models/guestbook.js';
import { tempDir } from '../helpers/tmp.js';

const ARTIFACTS = 'test-artifacts';
const skip = skipWithoutChromium;

/** Rejects when `promise` has not settled within `ms`: a bound on a wait, never a wait itself. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

type Context = Awaited<ReturnType<typeof import('playwright-core').chromium.launchPersistentContext>>;

/** `keel demo` on a fresh database and Chromium on a fresh profile (no cache, no cookies from earlier runs), both closed after `fn`. */
async function withDemoInChromium(name: string, fn: (context: Context, base: string, demo: Started) => Promise<void>): Promise<void> {
  const { chromium } = await import('playwright-core');
  const dir = tempDir(name);
  let demo: Started | undefined;
  let context: Context | undefined;
  try {
    demo = await startProgram('src/cli/main.ts', ['demo', '--port', '0', '--db', join(dir, 'keel.db')]);
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 900, height: 900 },
    });
    await fn(context, `http://127.0.0.1:${demo.port}`, demo);
  } finally {
    await context?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('chromium: the page and its picture, the guestbook, a reload, the live clock', { skip }, () =>
  withDemoInChromium('browser', async (context, base, demo) => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);

    // 1. The tutorial page: two requests, and the JPEG really decodes.
    const response = await page.goto(`${base}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Wow, a keel Server!');
    await page.waitForFunction(() => (document.getElementById('boat') as HTMLImageElement | null)?.complete === true);
    const size = await page.evaluate(() => {
      const img = document.getElementById('boat') as HTMLImageElement;
      return { w: img.naturalWidth, h: img.naturalHeight };
    });
    assert.deepEqual(size, { w: 160, h: 120 });
    // The lesson on the page and the terminal agree: one request line per file the page names.
    const promised = ((await page.locator('#request-lines').textContent()) ?? '').trim().split('\n');
    assert.deepEqual(promised, HOME_REQUESTS.map((p) => `GET ${p} HTTP/1.1`));
    for (const line of promised) await within(demo.waitForLine(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`)), ACTION_TIMEOUT_MS, line);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'home.png'), fullPage: true });

    // 2. The guestbook: fill in the form, submit, see the entry (escaped, not executed).
    const marker = `browser-${process.pid}-${demo.port}`;
    await page.click('a[href="/guestbook"]');
    await page.fill('input[name="name"]', 'Chromium <i>');
    await page.fill('textarea[name="message"]', `Hello from ${marker}`);
    await Promise.all([page.waitForURL(/\/guestbook\?added=1$/), page.click('button[type="submit"]')]);
    assert.equal(await page.locator('.notice').textContent(), 'Thank you! Your entry is in the guestbook.');
    assert.equal(await page.locator('.entry .message').first().textContent(), `Hello from ${marker}`);
    assert.equal(await page.locator('.entry strong').first().textContent(), 'Chromium <i>');

    // 3. Reload: the entry came from the database, so it is still there.
    await page.goto(`${base}/guestbook`);
    assert.equal(await page.locator('.entry .message').first().textContent(), `Hello from ${marker}`);

    // 4. A form with an error comes back with the message and the text kept.
    await page.fill('input[name="name"]', 'Nobody');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
    assert.equal(await page.locator('#message-error').textContent(), 'Please write a message.');
    assert.equal(await page.inputValue('input[name="name"]'), 'Nobody');
    await page.screenshot({ path: join(ARTIFACTS, 'guestbook.png'), fullPage: true });

    // 5. The live clock: Server-Sent Events reach the page through the CSP.
    await page.goto(`${base}/time`);
    await page.waitForFunction(() => /^\d{4}-\d\d-\d\dT/.test(document.getElementById('live-time')?.textContent ?? ''));

    // 6. The wire inspector shows what this browser sent.
    await page.goto(`${base}/inspect`);
    const sent = (await page.locator('#request-head').textContent()) ?? '';
    assert.match(sent, /^GET \/inspect HTTP\/1\.1\\r\\n/);
    assert.match(sent, /User-Agent: [^\n]*Chrom/);
  }));

test('chromium: WebSocket: an entry posted in one page appears in another without reload; the inspector shows the handshake and the frames', { skip }, () =>
  withDemoInChromium('browser-ws', async (context, base, demo) => {
    // The CSP must let the pages' scripts open their sockets (connect-src 'self'): any violation fails the test.
    const problems: string[] = [];
    const watch = (p: import('playwright-core').Page): void => {
      p.setDefaultTimeout(ACTION_TIMEOUT_MS);
      p.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      p.on('pageerror', (err) => problems.push(String(err)));
    };
    const reader = context.pages()[0] ?? (await context.newPage());
    const writer = await context.newPage();
    watch(reader);
    watch(writer);

    // 1. The reader's guestbook page opens its feed; the writer posts; the reader shows the entry, no reload.
    await reader.goto(`${base}/guestbook`);
    await reader.waitForSelector('#live-status[data-live="open"]');
    const marker = `live-${process.pid}-${demo.port}`;
    await writer.goto(`${base}/guestbook`);
    await writer.fill('input[name="name"]', 'Writer <b>');
    await writer.fill('textarea[name="message"]', `Hello from ${marker}`);
    await Promise.all([writer.waitForURL(/\/guestbook\?added=1$/), writer.click('button[type="submit"]')]);
    await reader.waitForFunction((m) => document.querySelector('.entry .message')?.textContent === `Hello from ${m}`, marker);
    assert.equal(await reader.locator('.entry strong').first().textContent(), 'Writer <b>');
    assert.equal(await reader.locator('h2').textContent(), '1 entry');
    assert.equal(reader.url(), `${base}/guestbook`, 'the reader did not navigate');
    mkdirSync(ARTIFACTS, { recursive: true });
    await reader.screenshot({ path: join(ARTIFACTS, 'guestbook-live.png'), fullPage: true });

    // 2. The inspector: the 101, then the frames of the greeting the page sends and of its echo.
    await reader.goto(`${base}/inspect/ws`);
    const rows = reader.locator('#ws-frames tr');
    await rows.nth(1).waitFor();
    const cells = async (i: number): Promise<string[]> => rows.nth(i).locator('td').allTextContents();
    assert.deepEqual(await cells(0), ['browser \u2192 keel', '1', '0', '1 (text)', '1', '12', 'Hello, keel!']);
    assert.deepEqual(await cells(1), ['keel \u2192 browser', '1', '0', '1 (text)', '0', '12', 'Hello, keel!']);
    assert.match((await reader.locator('#ws-response').textContent()) ?? '', /^HTTP\/1\.1 101 Switching Protocols\\r\\n/);
    assert.match((await reader.locator('#ws-request').textContent()) ?? '', /^GET \/inspect\/ws\/echo HTTP\/1\.1\\r\\n/);
    await reader.fill('#ws-text', 'hi');
    await reader.click('#ws-send-binary');
    await rows.nth(3).waitFor();
    assert.deepEqual(await cells(2), ['browser \u2192 keel', '1', '0', '2 (binary)', '1', '2', 'hex 6869']);
    await reader.screenshot({ path: join(ARTIFACTS, 'inspect-ws.png'), fullPage: true });
    assert.deepEqual(problems, []);
  }));

/** The pages checked at each width: path, expected status, and whether it is one of the site's pages (nav). */
const PAGES: ReadonlyArray<{ path: string; status: number; hasNav: boolean }> = [
  { path: '/', status: 200, hasNav: true },
  { path: '/time', status: 200, hasNav: true },
  { path: '/guestbook', status: 200, hasNav: true },
  { path: '/files/', status: 200, hasNav: true },
  { path: '/files/tutorial/', status: 200, hasNav: true },
  { path: '/files/tutorial/index-of-steps.html', status: 200, hasNav: false },
  { path: '/cgi-bin/', status: 200, hasNav: true },
  { path: '/cgi-bin/env.py', status: 200, hasNav: true },
  { path: '/cgi-bin/form.sh?q=a+query', status: 200, hasNav: true },
  { path: '/inspect', status: 200, hasNav: true },
  { path: '/inspect/ws', status: 200, hasNav: true },
  { path: '/no/such/page', status: 404, hasNav: true },
  { path: '/files/missing.txt', status: 404, hasNav: true },
  { path: '/cgi-bin/missing.py', status: 404, hasNav: true },
];

/** Desktop and phone widths of issue #13. */
const WIDTHS = [1280, 390] as const;
/** Below this width the browser is a phone: it honours the viewport meta tag and lays out at 980 px without one. */
const PHONE_MAX_WIDTH_PX = 600;

test('chromium: every page at 1280 px and 390 px: no horizontal overflow, the nav, a viewport, one link colour', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = tempDir('browser');
  let demo: Started | undefined;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  try {
    demo = await startProgram('src/cli/main.ts', ['demo', '--port', '0', '--db', join(dir, 'keel.db')]);
    const base = `http://127.0.0.1:${demo.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });

    // A guestbook entry that once widened the page to 664 px on a phone: one unbroken name at the limit.
    const setup = await browser.newPage();
    setup.setDefaultTimeout(ACTION_TIMEOUT_MS);
    await setup.goto(`${base}/guestbook`);
    await setup.fill('input[name="name"]', 'W'.repeat(MAX_NAME_CHARS));
    await setup.fill('textarea[name="message"]', 'M'.repeat(300));
    await Promise.all([setup.waitForURL(/\/guestbook\?added=1$/), setup.click('button[type="submit"]')]);
    await setup.close();

    for (const width of WIDTHS) {
      const isPhone = width < PHONE_MAX_WIDTH_PX;
      const context = await browser.newContext({ viewport: { width, height: 900 }, isMobile: isPhone, hasTouch: isPhone });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(ACTION_TIMEOUT_MS);
        for (const { path, status, hasNav } of PAGES) {
          const where = `${path} at ${width} px`;
          const response = await page.goto(`${base}${path}`);
          assert.equal(response?.status(), status, where);
          const m = await page.evaluate(() => {
            const inText = document.querySelector('main a');
            const inNav = document.querySelector('nav a');
            const ths = [...document.querySelectorAll('table.env th')];
            const lineHeight = ths.length === 0 ? 0 : parseFloat(getComputedStyle(ths[0]!).lineHeight);
            return {
              scrollWidth: document.documentElement.scrollWidth,
              innerWidth,
              viewportMeta: document.querySelector('meta[name="viewport"]')?.getAttribute('content') ?? null,
              navLinks: [...document.querySelectorAll('nav a')].map((a) => a.getAttribute('href')),
              textLinkColor: inText === null ? null : getComputedStyle(inText).color,
              navLinkColor: inNav === null ? null : getComputedStyle(inNav).color,
              // The text's own box, not the cell's (a cell is as tall as its row's value).
              tallestNameCell: Math.max(
                0,
                ...ths.map((th) => {
                  const range = document.createRange();
                  range.selectNodeContents(th);
                  return range.getBoundingClientRect().height;
                }),
              ),
              lineHeight,
            };
          });
          // A page without a device-width viewport is laid out 980 px wide on a phone (innerWidth 980).
          assert.equal(m.viewportMeta, 'width=device-width, initial-scale=1', `${where}: viewport meta`);
          assert.equal(m.innerWidth, width, `${where}: laid out at the device width`);
          assert.ok(m.scrollWidth <= m.innerWidth, `${where}: no horizontal overflow (scrollWidth ${m.scrollWidth} > ${m.innerWidth})`);
          if (hasNav) {
            assert.deepEqual(m.navLinks, NAV.map(([href]) => href), `${where}: the site's nav`);
            if (m.textLinkColor !== null) assert.equal(m.textLinkColor, m.navLinkColor, `${where}: in-text links are the nav's colour`);
          }
          // env.py: each variable name on one line, never squeezed to a letter per line.
          if (m.lineHeight > 0) assert.ok(m.tallestNameCell < 2 * m.lineHeight, `${where}: a name is ${m.tallestNameCell} px tall`);
          const file = `${width}-${path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home'}.png`;
          await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
        }
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
