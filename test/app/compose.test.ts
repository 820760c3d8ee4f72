import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { compose, composeChain, NextCalledTwiceError, type Middleware } from '../../src/app/compose.js';

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

// Issue #14 item 9: "an empty chain resolves" could not fail (awaiting anything passes).
// An empty chain must still be a chain: a promise of undefined, ctx untouched, and the
// outer next called once, awaited, and its failure passed on.
describe('an empty chain', () => {
  test('returns a promise of undefined and leaves ctx alone', async () => {
    const ctx: Ctx = { log: [] };
    const p = compose<Ctx>([])(ctx);
    assert.ok(p instanceof Promise);
    assert.equal(await p, undefined);
    assert.deepEqual(ctx.log, []);
  });

  test('calls the outer next exactly once, and resolves only after it', async () => {
    const ctx: Ctx = { log: [] };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const done = compose<Ctx>([])(ctx, async () => {
      ctx.log.push('next');
      await gate;
      ctx.log.push('next done');
    }).then(() => ctx.log.push('chain done'));
    assert.deepEqual(ctx.log, ['next'], 'next runs synchronously, once');
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(ctx.log, ['next'], 'the chain waits for next');
    release();
    await done;
    assert.deepEqual(ctx.log, ['next', 'next done', 'chain done']);
  });

  const failures = [
    { name: 'a throwing next', input: (): Promise<void> => { throw new Error('boom'); } },
    { name: 'a rejecting next', input: (): Promise<void> => Promise.reject(new Error('boom')) },
  ];
  for (const { name, input } of failures) {
    test(`${name} rejects the call`, async () => {
      await assert.rejects(compose<Ctx>([])({ log: [] }, input), /boom/);
    });
  }
});

/** How many promises `fn` creates while it runs synchronously (async_hooks PROMISE inits). */
function promisesMadeBy(fn: () => void): number {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') count += 1;
    },
  }).enable();
  try {
    fn();
  } finally {
    hook.disable();
  }
  return count;
}

// Issue #18 item 1: a chain whose middleware returns next() synchronously and whose end is
// synchronous runs to the end in the same tick, making no promise, so the App sends the
// response without a microtask hop per request.
describe('composeChain: synchronous chains stay synchronous', () => {
  const passOn: Middleware<Ctx> = (c, next) => {
    c.log.push('mw');
    return next();
  };
  const cases: Array<{ name: string; input: Array<Middleware<Ctx>>; want: { pending: boolean; log: string[] } }> = [
    { name: 'middleware returning next() then a sync end', input: [passOn, passOn], want: { pending: false, log: ['mw', 'mw', 'end'] } },
    { name: 'middleware calling next() and returning nothing', input: [(c, next) => { c.log.push('mw'); void next(); }], want: { pending: false, log: ['mw', 'end'] } },
    { name: 'a middleware that does not call next', input: [(c) => { c.log.push('stop'); }], want: { pending: false, log: ['stop'] } },
    { name: 'an async middleware', input: [async (c, next) => { c.log.push('mw'); await next(); }], want: { pending: true, log: ['mw', 'end'] } },
    { name: 'a sync middleware before an async one', input: [passOn, async (c, next) => { c.log.push('async'); await next(); }], want: { pending: true, log: ['mw', 'async', 'end'] } },
  ];
  for (const { name, input, want } of cases) {
    test(name, async () => {
      const ctx: Ctx = { log: [] };
      const r = composeChain(input)(ctx, (c) => { c.log.push('end'); });
      assert.equal(r !== undefined, want.pending, 'pending result');
      assert.deepEqual(ctx.log, want.log, 'ran synchronously up to the first await');
      await r;
    });
  }

  test('makes no promise when nothing is async', () => {
    const run = composeChain<Ctx>([passOn, passOn, passOn]);
    const ctx: Ctx = { log: [] };
    assert.equal(promisesMadeBy(() => run(ctx, () => undefined)), 0);
    assert.equal(ctx.log.length, 3);
  });

  test('next() twice still rejects when the chain was synchronous', async () => {
    let second: Promise<void> | undefined;
    const r = composeChain<Ctx>([(_c, next) => { void next(); second = next(); }])({ log: [] });
    assert.equal(r, undefined);
    await assert.rejects(second!, (err: unknown) => err instanceof NextCalledTwiceError);
  });

  test('a sync throw downstream is the rejection of next(), catchable upstream', async () => {
    const ctx: Ctx = { log: [] };
    const r = composeChain<Ctx>([
      (c, next) => next().catch((err: Error) => { c.log.push(`caught ${err.message}`); }),
      () => { throw new Error('sync'); },
    ])(ctx);
    assert.notEqual(r, undefined);
    await r;
    assert.deepEqual(ctx.log, ['caught sync']);
  });

  test('a sync throw of the first function is thrown', () => {
    assert.throws(() => composeChain<Ctx>([() => { throw new Error('first'); }])({ log: [] }), /first/);
  });

  test('compose() keeps returning a promise for a synchronous chain', async () => {
    const ctx: Ctx = { log: [] };
    const p = compose<Ctx>([passOn])(ctx);
    assert.ok(p instanceof Promise);
    assert.equal(await p, undefined);
    assert.deepEqual(ctx.log, ['mw']);
  });
});
