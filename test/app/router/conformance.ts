/**
 * The shared router conformance suite: every Router implementation must pass it
 * (STYLE.md rule 8, Hono's common.case.test.ts). Each row registers routes, then
 * matches one request and compares handler, params, Allow and HEAD fallback.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Router } from '../../../src/app/router/router.js';

type RouteRow = [method: string, path: string];
interface Case {
  name: string;
  routes: RouteRow[];
  input: [method: string, path: string];
  /** handler = "METHOD path" of the winning route, or null. */
  want: { handler: string | null; params?: Record<string, string>; allow?: string | null; isHeadFallback?: boolean };
}

const USERS: RouteRow[] = [
  ['GET', '/'],
  ['GET', '/users'],
  ['POST', '/users'],
  ['GET', '/users/new'],
  ['GET', '/users/:id'],
  ['PUT', '/users/:id'],
  ['DELETE', '/users/:id'],
  ['GET', '/users/:id/posts/:postId'],
  ['GET', '/files/*path'],
  ['GET', '/assets/*'],
];

export const CASES: Case[] = [
  { name: 'root', routes: USERS, input: ['GET', '/'], want: { handler: 'GET /', params: {} } },
  { name: 'static', routes: USERS, input: ['GET', '/users'], want: { handler: 'GET /users', params: {} } },
  { name: 'static POST', routes: USERS, input: ['POST', '/users'], want: { handler: 'POST /users' } },
  { name: 'static beats param', routes: USERS, input: ['GET', '/users/new'], want: { handler: 'GET /users/new', params: {} } },
  { name: 'param', routes: USERS, input: ['GET', '/users/42'], want: { handler: 'GET /users/:id', params: { id: '42' } } },
  { name: 'param near a static', routes: USERS, input: ['GET', '/users/newer'], want: { handler: 'GET /users/:id', params: { id: 'newer' } } },
  { name: 'param prefix of static', routes: USERS, input: ['GET', '/users/ne'], want: { handler: 'GET /users/:id', params: { id: 'ne' } } },
  { name: 'param stays encoded', routes: USERS, input: ['GET', '/users/a%20b'], want: { handler: 'GET /users/:id', params: { id: 'a%20b' } } },
  { name: 'two params', routes: USERS, input: ['GET', '/users/7/posts/9'], want: { handler: 'GET /users/:id/posts/:postId', params: { id: '7', postId: '9' } } },
  { name: 'param must be non-empty', routes: USERS, input: ['GET', '/users//posts/9'], want: { handler: null, allow: null } },
  { name: 'trailing slash is significant', routes: USERS, input: ['GET', '/users/'], want: { handler: null, allow: null } },
  { name: 'named wildcard', routes: USERS, input: ['GET', '/files/a/b.txt'], want: { handler: 'GET /files/*path', params: { path: 'a/b.txt' } } },
  { name: 'wildcard may be empty', routes: USERS, input: ['GET', '/files/'], want: { handler: 'GET /files/*path', params: { path: '' } } },
  { name: 'wildcard needs its slash', routes: USERS, input: ['GET', '/files'], want: { handler: null, allow: null } },
  { name: 'anonymous wildcard', routes: USERS, input: ['GET', '/assets/x/y'], want: { handler: 'GET /assets/*', params: { '*': 'x/y' } } },
  { name: 'not found', routes: USERS, input: ['GET', '/nope'], want: { handler: null, allow: null } },
  { name: 'case-sensitive paths', routes: USERS, input: ['GET', '/Users'], want: { handler: null, allow: null } },
  { name: 'methods are case-sensitive (RFC 9110 §9.1)', routes: USERS, input: ['get', '/users'], want: { handler: null, allow: 'GET, POST, HEAD, OPTIONS' } },
  { name: '405 Allow lists the path methods', routes: USERS, input: ['PATCH', '/users/1'], want: { handler: null, allow: 'GET, PUT, DELETE, HEAD, OPTIONS' } },
  { name: '405 on static', routes: USERS, input: ['DELETE', '/users'], want: { handler: null, allow: 'GET, POST, HEAD, OPTIONS' } },
  {
    name: '405 Allow unions every route the path reaches',
    routes: USERS,
    input: ['POST', '/users/new'],
    want: { handler: null, allow: 'GET, PUT, DELETE, HEAD, OPTIONS' },
  },
  { name: 'HEAD falls back to GET (RFC 9110 §9.3.2)', routes: USERS, input: ['HEAD', '/users/5'], want: { handler: 'GET /users/:id', params: { id: '5' }, isHeadFallback: true } },
  { name: 'HEAD on static', routes: USERS, input: ['HEAD', '/'], want: { handler: 'GET /', isHeadFallback: true } },
  {
    name: 'explicit HEAD beats GET',
    routes: [['GET', '/x'], ['HEAD', '/x']],
    input: ['HEAD', '/x'],
    want: { handler: 'HEAD /x', isHeadFallback: false },
  },
  { name: 'no HEAD without GET', routes: [['POST', '/x']], input: ['HEAD', '/x'], want: { handler: null, allow: 'POST, OPTIONS' } },
  { name: 'any-method route', routes: [['*', '/any']], input: ['PROPFIND', '/any'], want: { handler: '* /any' } },
  { name: 'exact method beats any-method', routes: [['*', '/x'], ['GET', '/x']], input: ['GET', '/x'], want: { handler: 'GET /x' } },
  { name: 'any-method when exact differs', routes: [['*', '/x'], ['GET', '/x']], input: ['POST', '/x'], want: { handler: '* /x' } },
  {
    name: 'a later route that has the method wins over a more specific one that lacks it',
    routes: [['POST', '/a/b'], ['GET', '/a/*']],
    input: ['GET', '/a/b'],
    want: { handler: 'GET /a/*', params: { '*': 'b' } },
  },
  {
    name: 'param beats wildcard',
    routes: [['GET', '/a/*'], ['GET', '/a/:x/*']],
    input: ['GET', '/a/b/c'],
    want: { handler: 'GET /a/:x/*', params: { x: 'b', '*': 'c' } },
  },
  {
    name: 'backtracks out of a static branch',
    routes: [['GET', '/a/b/c'], ['GET', '/a/:x/d']],
    input: ['GET', '/a/b/d'],
    want: { handler: 'GET /a/:x/d', params: { x: 'b' } },
  },
  {
    name: 'backtracks out of a param branch into a wildcard',
    routes: [['GET', '/a/:x/d'], ['GET', '/a/*']],
    input: ['GET', '/a/b/e'],
    want: { handler: 'GET /a/*', params: { '*': 'b/e' } },
  },
  { name: 'root wildcard', routes: [['GET', '/*']], input: ['GET', '/'], want: { handler: 'GET /*', params: { '*': '' } } },
  { name: 'optional param present', routes: [['GET', '/posts/:id?']], input: ['GET', '/posts/3'], want: { handler: 'GET /posts/:id?', params: { id: '3' } } },
  { name: 'optional param absent', routes: [['GET', '/posts/:id?']], input: ['GET', '/posts'], want: { handler: 'GET /posts/:id?', params: {} } },
  { name: 'optional param in the middle', routes: [['GET', '/a/:b?/c']], input: ['GET', '/a/c'], want: { handler: 'GET /a/:b?/c', params: {} } },
  { name: 'param values keep dots', routes: [['GET', '/f/:name']], input: ['GET', '/f/a.b.c'], want: { handler: 'GET /f/:name', params: { name: 'a.b.c' } } },
  {
    name: 'shared prefixes split correctly',
    routes: [['GET', '/search'], ['GET', '/se'], ['GET', '/sea/:x']],
    input: ['GET', '/se'],
    want: { handler: 'GET /se' },
  },
  {
    name: 'shared prefixes split correctly (2)',
    routes: [['GET', '/search'], ['GET', '/se'], ['GET', '/sea/:x']],
    input: ['GET', '/sea/1'],
    want: { handler: 'GET /sea/:x', params: { x: '1' } },
  },
  {
    name: 'Allow of a matched route',
    routes: [['GET', '/x'], ['PUT', '/x']],
    input: ['GET', '/x'],
    want: { handler: 'GET /x', allow: 'GET, PUT, HEAD, OPTIONS' },
  },
];

/** Patterns every router must reject at add(). */
export const BAD_PATTERNS: Array<{ name: string; input: string }> = [
  { name: 'no leading slash', input: 'users' },
  { name: 'wildcard not last', input: '/a/*/b' },
  { name: 'duplicate param name', input: '/a/:id/:id' },
  { name: 'empty param name', input: '/a/:' },
  { name: 'colon inside a segment', input: '/a:b' },
  { name: 'bad param name', input: '/a/:1x' },
  { name: '__proto__ as a param name', input: '/a/:__proto__' },
  { name: '__proto__ as a wildcard name', input: '/a/*__proto__' },
];

/** Registers the suite for one router implementation. */
export function runRouterConformance(name: string, create: () => Router<string>): void {
  describe(`router conformance: ${name}`, () => {
    for (const c of CASES) {
      it(c.name, () => {
        const r = create();
        for (const [m, p] of c.routes) r.add(m, p, `${m} ${p}`);
        const got = r.match(c.input[0], c.input[1]);
        assert.equal(got.handler ?? null, c.want.handler);
        if (c.want.params !== undefined) assert.deepEqual({ ...got.params }, c.want.params);
        if (c.want.allow !== undefined) assert.equal(got.allow ?? null, c.want.allow);
        if (c.want.isHeadFallback !== undefined) assert.equal(got.isHeadFallback, c.want.isHeadFallback);
      });
    }
    for (const c of BAD_PATTERNS) {
      it(`rejects pattern: ${c.name}`, () => {
        assert.throws(() => create().add('GET', c.input, 'x'), TypeError);
      });
    }
    it('rejects a duplicate route', () => {
      const r = create();
      r.add('GET', '/a/:x', '1');
      assert.throws(() => r.add('GET', '/a/:x', '2'), TypeError);
    });
    it('allMethods lists every method for OPTIONS *', () => {
      const r = create();
      r.add('GET', '/a', 'a');
      r.add('DELETE', '/b/:x', 'b');
      assert.equal(r.allMethods(), 'GET, DELETE, HEAD, OPTIONS');
    });
    it('the same match twice gives equal results (cached static results are not mutated)', () => {
      const r = create();
      r.add('GET', '/s', 's');
      const a = r.match('GET', '/s');
      const b = r.match('GET', '/s');
      assert.equal(a.handler, b.handler);
      assert.deepEqual({ ...a.params }, { ...b.params });
    });
  });
}
