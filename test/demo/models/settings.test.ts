// Shared settings: one secret for every process sharing the database.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../../../src/db/migrations.js';
import { DEMO_MIGRATIONS } from '../../../src/demo/migrations.js';
import { getOrCreateSecret, getSetting } from '../../../src/demo/models/settings.js';
import { backends } from '../../db/backends.js';

for (const backend of backends) {
  describe(`settings on ${backend.dialect}`, { skip: backend.skip }, () => {
    test('getOrCreateSecret creates once; every connection reads the same secret', async () => {
      const f = await backend.fresh();
      try {
        await migrate(f.db, DEMO_MIGRATIONS);
        const other = await f.openAnother();
        assert.equal(await getSetting(f.db, 'csrf'), undefined);
        const [a, b] = await Promise.all([getOrCreateSecret(f.db, 'csrf'), getOrCreateSecret(other, 'csrf')]);
        assert.equal(a, b);
        assert.match(a, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(await getOrCreateSecret(f.db, 'csrf'), a);
        assert.notEqual(await getOrCreateSecret(f.db, 'other'), a);
      } finally {
        await f.cleanup();
      }
    });
  });
}
