// The static handler's own `cors` option through the one CORS implementation (issue #14 item 5;
// src/semantics/cors.ts with STATIC_CORS_OPTIONS, docs/static.md "CORS"). Before the switch the
// handler had its own copy: the configured origin went to every response, asked for or not, with
// no Vary: Origin, so a cache could hand one origin's answer to another. Now only a request with
// an allowed Origin gets the fields, a one-origin policy varies on Origin, and a preflight gets
// the policy's methods, request fields and max age.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StaticOptions } from '../../src/handlers/static.js';
import { makeTree, request, startStatic, type RawResponse, type Tree } from '../fixtures/static/harness.js';

let tree: Tree;
before(() => {
  tree = makeTree();
});
after(() => tree.cleanup());

const EXPOSE = 'Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag, Last-Modified';
const PREFLIGHT = {
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range',
  'access-control-max-age': '86400',
};
const ASK = { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' };
const APP = 'https://app.example';

/** The status and the CORS-related fields of a response (names lower-case). */
function corsView(r: RawResponse): { status: number; fields: Record<string, string> } {
  const fields = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));
  return { status: r.status, fields };
}

interface Row {
  name: string;
  input: { cors: StaticOptions['cors']; method: string; path: string; headers: Record<string, string> };
  want: { status: number; fields: Record<string, string> };
}

const rows: Row[] = [
  {
    name: 'any origin: a file requested with Origin',
    input: { cors: true, method: 'GET', path: '/hello.txt', headers: { Origin: APP } },
    want: { status: 200, fields: { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE } },
  },
  {
    name: 'any origin: a request without Origin gets no CORS fields',
    input: { cors: true, method: 'GET', path: '/hello.txt', headers: {} },
    want: { status: 200, fields: {} },
  },
  {
    name: 'any origin: the handler\'s own 404 carries them too',
    input: { cors: true, method: 'GET', path: '/missing.txt', headers: { Origin: APP } },
    want: { status: 404, fields: { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE } },
  },
  {
    name: 'any origin: a listing',
    input: { cors: true, method: 'GET', path: '/docs/', headers: { Origin: APP } },
    want: { status: 200, fields: { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE } },
  },
  {
    name: 'any origin: a preflight',
    input: { cors: true, method: 'OPTIONS', path: '/hello.txt', headers: { Origin: APP, ...ASK } },
    want: { status: 204, fields: { 'access-control-allow-origin': '*', ...PREFLIGHT } },
  },
  {
    name: 'one origin: that origin is echoed, and the answer varies on Origin',
    input: { cors: APP, method: 'GET', path: '/hello.txt', headers: { Origin: APP } },
    want: { status: 200, fields: { 'access-control-allow-origin': APP, 'access-control-expose-headers': EXPOSE, vary: 'Origin' } },
  },
  {
    name: 'one origin: another origin gets no CORS fields',
    input: { cors: APP, method: 'GET', path: '/hello.txt', headers: { Origin: 'https://evil.example' } },
    want: { status: 200, fields: { vary: 'Origin' } },
  },
  {
    name: 'one origin: a preflight from it',
    input: { cors: APP, method: 'OPTIONS', path: '/hello.txt', headers: { Origin: APP, ...ASK } },
    want: { status: 204, fields: { 'access-control-allow-origin': APP, vary: 'Origin', ...PREFLIGHT } },
  },
  {
    name: 'off: nothing',
    input: { cors: false, method: 'GET', path: '/hello.txt', headers: { Origin: APP } },
    want: { status: 200, fields: {} },
  },
];

describe('static handler: the cors option', () => {
  for (const { name, input, want } of rows) {
    test(name, async () => {
      const s = await startStatic({ root: tree.root, listing: true, cors: input.cors });
      try {
        assert.deepEqual(corsView(await request(s.port, input.method, input.path, input.headers)), want);
      } finally {
        await s.close();
      }
    });
  }

  test('a preflight still answers Allow (OPTIONS on a file)', async () => {
    const s = await startStatic({ root: tree.root, cors: true });
    try {
      const r = await request(s.port, 'OPTIONS', '/hello.txt', { Origin: APP, ...ASK });
      assert.equal(r.headers['allow'], 'GET, HEAD, OPTIONS');
    } finally {
      await s.close();
    }
  });
});
