// The guestbook model: validation (pure) and storage, run on SQLite and (when KEEL_TEST_PG_URL is set) PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../../../src/db/migrations.js';
import { DEMO_MIGRATIONS } from '../../../src/demo/migrations.js';
import { Guestbook, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, validateEntry } from '../../../src/demo/models/guestbook.js';
import { backends, withFresh, type Fresh } from '../../db/backends.js';

describe('validateEntry', () => {
  const rows = [
    { name: 'valid, trimmed', input: { name: '  Ada ', message: ' hi \r\nthere ' }, want: { ok: true, value: { name: 'Ada', message: 'hi \nthere' } } },
    { name: 'missing both', input: {}, want: { ok: false, errors: { name: 'Please give a name.', message: 'Please write a message.' } } },
    { name: 'blank name', input: { name: '   ', message: 'x' }, want: { ok: false, errors: { name: 'Please give a name.' } } },
    { name: 'name too long', input: { name: 'n'.repeat(MAX_NAME_CHARS + 1), message: 'x' }, want: { ok: false, errors: { name: `A name has at most ${MAX_NAME_CHARS} characters.` } } },
    { name: 'name at the limit in astral characters', input: { name: '⛵'.repeat(MAX_NAME_CHARS), message: 'x' }, want: { ok: true } },
    { name: 'name on two lines', input: { name: 'a\nb', message: 'x' }, want: { ok: false, errors: { name: 'A name is one line of printable text.' } } },
    { name: 'message too long', input: { name: 'a', message: 'm'.repeat(MAX_MESSAGE_CHARS + 1) }, want: { ok: false, errors: { message: `A message has at most ${MAX_MESSAGE_CHARS} characters.` } } },
    { name: 'control character', input: { name: 'a', message: 'bell\u0007' }, want: { ok: false, errors: { message: 'A message is printable text.' } } },
    { name: 'html is allowed (escaped by the view)', input: { name: '<b>', message: '<script>x</script>' }, want: { ok: true } },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => {
      const got = validateEntry(input);
      assert.equal(got.ok, want.ok);
      if ('errors' in want) assert.deepEqual(!got.ok && got.errors, want.errors);
      if ('value' in want) assert.deepEqual(got.value, want.value);
    });
  }
});

for (const backend of backends) {
  describe(`Guestbook on ${backend.dialect}`, { skip: backend.skip }, () => {
    async function withBook(fn: (book: Guestbook, f: Fresh) => Promise<void>, pageSize = 3): Promise<void> {
      await withFresh(backend, async (f) => {
        await migrate(f.db, DEMO_MIGRATIONS);
        await fn(new Guestbook(f.db, { pageSize }), f);
      });
    }

    test('add returns the stored entry with its id and time', () =>
      withBook(async (book) => {
        const e = await book.add({ name: 'Ada', message: 'Grüße ⛵ <b>' }, 1_700_000_000_000);
        assert.equal(typeof e.id, 'number');
        assert.deepEqual(e, { id: e.id, name: 'Ada', message: 'Grüße ⛵ <b>', createdMs: 1_700_000_000_000 });
        assert.deepEqual(await book.find(e.id), e);
        assert.equal(await book.find(e.id + 1000), undefined);
      }));

    test('pages newest first and clamps out-of-range pages', () =>
      withBook(async (book) => {
        for (let i = 1; i <= 7; i++) await book.add({ name: `n${i}`, message: `m${i}` }, i);
        const names = (p: { entries: { name: string }[] }) => p.entries.map((e) => e.name);
        const rows = [
          { name: 'first', input: 1, want: { names: ['n7', 'n6', 'n5'], page: 1 } },
          { name: 'last (partial)', input: 3, want: { names: ['n1'], page: 3 } },
          { name: 'past the end', input: 99, want: { names: ['n1'], page: 3 } },
          { name: 'zero', input: 0, want: { names: ['n7', 'n6', 'n5'], page: 1 } },
          { name: 'NaN', input: Number.NaN, want: { names: ['n7', 'n6', 'n5'], page: 1 } },
        ];
        for (const { input, want } of rows) {
          const p = await book.page(input);
          assert.deepEqual({ names: names(p), page: p.page }, want);
          assert.equal(p.pages, 3);
          assert.equal(p.total, 7);
        }
      }));

    test('an empty guestbook has one empty page', () =>
      withBook(async (book) => {
        assert.deepEqual(await book.page(1), { entries: [], page: 1, pages: 1, total: 0 });
      }));

    test('entries written by two connections concurrently are all kept', () =>
      withBook(async (book, f) => {
        const other = new Guestbook(await f.openAnother());
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? book : other).add({ name: `w${i}`, message: 'x' })));
        assert.equal(await book.count(), 20);
      }));
  });
}
