// Chromium's own WebSocket against `keel echo` /ws (issue #15 item 8): the browser offers
// permessage-deflate, so the echo runs compressed; text and a 1 MiB ArrayBuffer come back with
// their type, and a close code chosen by the page comes back to it. Debian's chromium driven by
// playwright-core (flags of test/helpers/chromium.ts); skipped when chromium is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, skipWithoutChromium } from '../helpers/chromium.js';
import { startKeel } from './keel.js';

test('chromium WebSocket: keel echo /ws echoes text and binary (deflate negotiated) and returns the close code', { skip: skipWithoutChromium, timeout: 60_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'keel-ws-browser-'));
  const keel = startKeel(['echo', '--port', '0'], t.signal);
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    const [, port] = await keel.waitFor(/^keel echo listening on http:\/\/127\.0\.0\.1:(\d+)\/\n/m);
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    // An HTTP page of the echo server itself: the WebSocket is same-origin, as in an app.
    await page.goto(`http://127.0.0.1:${port}/page`);
    // Plain JS text: tsx would add helpers (__name) to a compiled function that the page lacks.
    const got = (await page.evaluate(`(async () => {
      const ws = new WebSocket('ws://127.0.0.1:${port}/ws');
      ws.binaryType = 'arraybuffer';
      const queue = [];
      let wake = null;
      ws.onmessage = (e) => { queue.push(e.data); if (wake) wake(); };
      const next = async () => {
        while (queue.length === 0) await new Promise((r) => (wake = r));
        return queue.shift();
      };
      await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
      const out = ['extensions=' + ws.extensions];
      ws.send('héllo from chromium');
      const text = await next();
      out.push(typeof text + ':' + text);
      const bytes = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
      ws.send(bytes.buffer);
      const back = await next();
      const same = back instanceof ArrayBuffer && back.byteLength === bytes.length && new Uint8Array(back).every((b, i) => b === bytes[i]);
      out.push('binary:' + (back instanceof ArrayBuffer ? back.byteLength : -1) + ':' + same);
      const closed = new Promise((r) => (ws.onclose = r));
      ws.close(4321, 'page done');
      const ev = await closed;
      out.push('close:' + ev.code + ':' + ev.reason + ':' + ev.wasClean);
      return out;
    })()`)) as string[];
    assert.deepEqual(got, [
      'extensions=permessage-deflate',
      'string:héllo from chromium',
      `binary:${1024 * 1024}:true`,
      // The server echoes the code (RFC 6455 §5.5.1), not the reason.
      'close:4321::true',
    ]);
  } finally {
    await context?.close();
    await keel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
