// Root containment shared by the static and CGI handlers (issue #14 item 5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInsideRoot, rootPrefixOf } from '../../src/handlers/root-containment.js';

describe('isInsideRoot', () => {
  const cases = [
    { name: 'the root itself', input: { root: '/srv/www', path: '/srv/www' }, want: true },
    { name: 'a file under it', input: { root: '/srv/www', path: '/srv/www/a.html' }, want: true },
    { name: 'a deep path', input: { root: '/srv/www', path: '/srv/www/a/b/c.sh' }, want: true },
    { name: 'a sibling sharing the prefix', input: { root: '/srv/www', path: '/srv/www-old/a.html' }, want: false },
    { name: 'a sibling with no separator', input: { root: '/srv/www', path: '/srv/wwwa' }, want: false },
    { name: 'the parent', input: { root: '/srv/www', path: '/srv' }, want: false },
    { name: 'elsewhere', input: { root: '/srv/www', path: '/etc/passwd' }, want: false },
    { name: 'a root given with a trailing separator', input: { root: '/srv/www/', path: '/srv/www/a' }, want: true },
    { name: 'the file-system root contains everything', input: { root: '/', path: '/etc/passwd' }, want: true },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(isInsideRoot(c.input.root, c.input.path), c.want));
  }
});

describe('rootPrefixOf', () => {
  const cases = [
    { name: 'adds one separator', input: '/srv/www', want: '/srv/www/' },
    { name: 'keeps an existing one', input: '/srv/www/', want: '/srv/www/' },
    { name: 'the file-system root', input: '/', want: '/' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(rootPrefixOf(c.input), c.want));
  }
});
