import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compose, NextCalledTwiceError, type Middleware } from '../../src/app/compose.js';

type Ctx = { log: string[] };

test('runs middleware in onion order', async () => {
  const ctx: Ctx = { log: [] };
  const mw = (name: string): Middleware<Ctx> => async (c, next) => {
    c.log.push(`>${name}`);
    await next();
    c.log.push(`<${name}`);
  };
  await compose([mw('a'), mw('b'), mw('c')])(ctx);
  assert.deepEqual(ctx.log, ['>a', '>b', '>c', '<c', '<b', '<a']);
});

test('the outer next runs after the last middleware', async () => {
  const ctx: Ctx = { log: [] };
  await compose<Ctx>([(c, next) => { c.log.push('a'); return next(); }])(ctx, async () => { ctx.log.push('end'); });
  assert.deepEqual(ctx.log, ['a', 'end']);
});

test('next() twice rejects with NextCalledTwiceError', async () => {
  const run = compose<Ctx>([
    async (_c, next) => {
      await next();
      await next();
    },
  ]);
  await assert.rejects(run({ log: [] }), (err: unknown) => err instanceof NextCalledTwiceError && err.code === 'ERR_NEXT_CALLED_TWICE');
});

test('a sync throw becomes a rejection', async () => {
  const run = compose<Ctx>([() => { throw new Error('sync'); }]);
  const p = run({ log: [] });
  assert.ok(p instanceof Promise);
  await assert.rejects(p, /sync/);
});

test('an async error downstream reaches an upstream try/catch', async () => {
  const ctx: Ctx = { log: [] };
  await compose<Ctx>([
    async (c, next) => {
      try {
        await next();
      } catch (err) {
        c.log.push(`caught ${(err as Error).message}`);
      }
    },
    async () => {
      await Promise.resolve();
      throw new Error('late');
    },
  ])(ctx);
  assert.deepEqual(ctx.log, ['caught late']);
});

test('a middleware that does not call next stops the chain', async () => {
  const ctx: Ctx = { log: [] };
  await compose<Ctx>([(c) => { c.log.push('a'); }, (c) => { c.log.push('b'); }])(ctx);
  assert.deepEqual(ctx.log, ['a']);
});

test('non-function middleware is rejected at compose time', () => {
  assert.throws(() => compose([42 as unknown as Middleware<Ctx>]), TypeError);
});

test('an empty chain resolves', async () => {
  await compose<Ctx>([])({ log: [] });
});
