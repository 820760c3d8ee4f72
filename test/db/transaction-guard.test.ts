// The "inside a transaction callback" flag both engines use (src/db/transaction-guard.ts; issue #18 item 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransactionGuard } from '../../src/db/transaction-guard.js';
import type { Queryable } from '../../src/db/types.js';

const tx = {} as Queryable;

test('the flag is set only while the callback runs synchronously', async () => {
  const guard = new TransactionGuard();
  const seen: boolean[] = [];
  const p = guard.call(async (handle) => {
    assert.equal(handle, tx);
    seen.push(guard.isInCallback);
    await null;
    seen.push(guard.isInCallback);
    return 7;
  }, tx);
  seen.push(guard.isInCallback);
  assert.equal(await p, 7);
  assert.deepEqual(seen, [true, false, false]);
});

test('a sync throw passes through and clears the flag', () => {
  const guard = new TransactionGuard();
  assert.throws(() => guard.call(() => { throw new Error('sync'); }, tx), /sync/);
  assert.equal(guard.isInCallback, false);
});
