// A real browser (Debian's chromium driven by playwright-core) against `keel demo`:
// the picture decodes, the guestbook form works and its entry survives a reload,
// the live clock ticks. Leaves a screenshot in test-artifacts/home.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProgram, type Started } from './helpers.js';
import { ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, skipWithoutChromium } from '../helpers/chromium.js';

const ARTIFACTS = 'test-artifacts';
const skip = skipWithoutChromium;

test('chromium: the page and its picture, the guestbook, a reload, the live clock', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'keel-browser-'));
  let demo: Started | undefined;
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    demo = await startProgram('src/cli/main.ts', ['demo', '--port', '0', '--db', join(dir, 'keel.db')]);
    const base = `http://127.0.0.1:${demo.port}`;
    // A fresh profile directory per run: no cache, no cookies from earlier runs.
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 900, height: 900 },
    });
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
    await demo.waitForLine(/^GET \/test\.jpg HTTP\/1\.1$/);
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
  } finally {
    await context?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
