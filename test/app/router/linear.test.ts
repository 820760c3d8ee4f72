import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runRouterConformance } from './conformance.js';
import { LinearRouter } from '../../../src/app/router/linear.js';
import { RadixRouter } from '../../../src/app/router/radix.js';

runRouterConformance('LinearRouter', () => new LinearRouter<string>());

// Property: on random route tables and paths, the radix tree and the linear
// reference agree on handler, params and Allow.
test('RadixRouter agrees with LinearRouter on random tables', () => {
  const seg = fc.constantFrom('a', 'b', 'ab', 'abc', 'x');
  const patSeg = fc.oneof(seg, seg, fc.constantFrom(':p', ':q'));
  const pattern = fc
    .tuple(fc.array(patSeg, { minLength: 0, maxLength: 4 }), fc.constantFrom('', '', '/*', '/*rest'))
    .map(([segs, tail]) => {
      const used = new Set<string>();
      const out = segs.map((s, i) => {
        if (!s.startsWith(':')) return s;
        const n = `${s}${i}`;
        used.add(n);
        return n;
      });
      const p = '/' + out.join('/') + tail;
      return p.replace('//', '/');
    });
  const method = fc.constantFrom('GET', 'POST', '*');
  const reqPath = fc.array(fc.constantFrom('a', 'b', 'ab', 'abc', 'x', 'zz', ''), { minLength: 0, maxLength: 5 }).map((s) => '/' + s.join('/'));
  fc.assert(
    fc.property(fc.array(fc.tuple(method, pattern), { maxLength: 12 }), reqPath, fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'), (routes, path, m) => {
      const radix = new RadixRouter<string>();
      const linear = new LinearRouter<string>();
      const seen = new Set<string>();
      for (const [rm, p] of routes) {
        const key = `${rm} ${p.replace(/:[a-z0-9]+/g, ':').replace(/\*[a-z]*/, '*')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        radix.add(rm, p, `${rm} ${p}`);
        linear.add(rm, p, `${rm} ${p}`);
      }
      const a = radix.match(m, path);
      const b = linear.match(m, path);
      assert.equal(a.handler, b.handler, `${m} ${path}`);
      assert.deepEqual({ ...a.params }, { ...b.params });
      assert.equal(a.allow, b.allow);
      assert.equal(a.isHeadFallback, b.isHeadFallback);
    }),
    { numRuns: 500 },
  );
});
