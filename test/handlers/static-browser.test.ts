// A real browser browsing a directory served by `keel serve` (issue #5 "Done when"):
// redirect to the slash form, listing links (spaces, UTF-8, "&", an XSS-shaped name),
// a file opened from the listing, then a reload answered by a 304.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeArgs, startServe } from '../../src/cli/serve.js';
import { makeTree, type Tree } from '../fixtures/static/harness.js';
import { ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, skipWithoutChromium } from '../helpers/chromium.js';
import { tempDir } from '../helpers/tmp.js';

const skip = skipWithoutChromium;

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

test('chromium browses a directory listing and opens files from it', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('static-browser');
  const log: string[] = [];
  const running = await startServe(parseServeArgs([tree.root, '--port', '0'])!, () => {}, (l) => log.push(l));
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    // /docs redirects to /docs/, and the listing renders as a table.
    const res = await page.goto(`${running.url}docs`);
    assert.equal(res?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/docs/');
    assert.equal(await page.title(), 'Index of /docs/');
    const names = await page.locator('tbody a').allTextContents();
    assert.deepEqual(names, [
      '../',
      'b dir/',
      '<img src=x onerror=alert(1)>.txt',
      'a.txt',
      'caf\u00e9 & co.txt',
      'file2.txt',
      'file10.txt',
    ]);
    assert.deepEqual(dialogs, [], 'a file name never runs as markup');

    // Into a directory whose name has a space, then a file in it.
    await page.click('text=b dir/');
    assert.equal(new URL(page.url()).pathname, '/docs/b%20dir/');
    await page.click('text=inner.txt');
    assert.equal(await page.locator('body').innerText(), 'inner');

    // Back, and a UTF-8 name with "&".
    await page.goto(`${running.url}docs/`);
    await page.click('text=caf\u00e9 & co.txt');
    assert.equal(new URL(page.url()).pathname, '/docs/caf%C3%A9%20%26%20co.txt');
    assert.equal(await page.locator('body').innerText(), 'utf8');

    // The parent link climbs back to the root, which has an index.html.
    await page.goto(`${running.url}docs/`);
    await page.click('text=../');
    assert.equal(await page.locator('p').textContent(), 'home page');

    // A reload revalidates (Cache-Control: no-cache) and gets a 304.
    await page.reload();
    assert.ok(
      log.some((l) => / "GET \/ HTTP\/1\.1" 304 -$/.test(l)),
      `a 304 in the access log:\n${log.join('\n')}`,
    );
  } finally {
    await context?.close();
    await running.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
