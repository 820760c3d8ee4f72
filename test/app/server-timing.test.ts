/**
 * Server-Timing (issue #16 item 5): the W3C syntax of one metric, escaping of the
 * description, refusal of bad names, and `ctx.timing()` on a response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, HeadersSentError } from '../../src/app/index.js';
import { serverTimingMetric } from '../../src/app/server-timing.js';
import { table } from '../helpers/table.js';

table(
  'serverTimingMetric',
  [
    { name: 'name only', input: ['miss'] as const, want: 'miss' },
    { name: 'duration rounded to 0.1 ms', input: ['db', 12.345] as const, want: 'db;dur=12.3' },
    { name: 'a token description stays bare', input: ['db', 5, 'users'] as const, want: 'db;dur=5;desc=users' },
    { name: 'a description with spaces is quoted', input: ['db', 5, 'users query'] as const, want: 'db;dur=5;desc="users query"' },
    { name: 'quote and backslash are escaped', input: ['db', undefined, 'a"b\\c'] as const, want: 'db;desc="a\\"b\\\\c"' },
  ],
  (input) => serverTimingMetric(...(input as unknown as [string, number?, string?])),
);

table(
  'serverTimingMetric refuses',
  [
    { name: 'a name with a space', input: ['d b'] as const, want: true },
    { name: 'a name with a semicolon', input: ['db;dur=0'] as const, want: true },
    { name: 'a negative duration', input: ['db', -1] as const, want: true },
    { name: 'NaN', input: ['db', NaN] as const, want: true },
    { name: 'CRLF in the description (header injection)', input: ['db', 1, 'x\r\nSet-Cookie: a=b'] as const, want: true },
  ],
  (input) => {
    try {
      serverTimingMetric(...(input as unknown as [string, number?, string?]));
      return false;
    } catch (err) {
      return err instanceof TypeError;
    }
  },
);

test('ctx.timing() adds one metric per call, also from middleware after next()', async () => {
  const app = new App();
  app.use(async (ctx, next) => {
    await next();
    ctx.timing('total', 3);
  });
  app.get('/', (ctx) => ctx.timing('db', 1.25, 'users query').timing('cache').text('ok'));
  const res = await app.request('/');
  assert.equal(res.headers.get('server-timing'), 'db;dur=1.3;desc="users query", cache, total;dur=3');
});

test('ctx.timing() after the head went out throws HeadersSentError', async () => {
  const app = new App({ onError: () => undefined });
  let caught: unknown;
  app.get('/', (ctx) => {
    ctx.res.end('raw');
    try {
      ctx.timing('late', 1);
    } catch (err) {
      caught = err;
    }
  });
  await (await app.request('/')).text();
  assert.ok(caught instanceof HeadersSentError);
});
