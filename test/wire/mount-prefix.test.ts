// The one mount-prefix rule (src/wire/mount-prefix.ts; issue #14 item 5), shared by the App and the handlers.
import { canonicalPrefix, normalizeMountPrefix, pathBelowPrefix } from '../../src/wire/mount-prefix.js';
import { table } from '../helpers/table.js';

table(
  'canonicalPrefix',
  [
    { name: 'root', input: '/', want: '' },
    { name: 'trailing slash dropped', input: '/api/', want: '/api' },
    { name: 'already canonical', input: '/api', want: '/api' },
  ],
  canonicalPrefix,
);

table<string | undefined, string | null>(
  'normalizeMountPrefix (a handler option, URL form)',
  [
    { name: 'undefined is the root', input: undefined, want: '' },
    { name: 'empty is the root', input: '', want: '' },
    { name: '"/" is the root', input: '/', want: '' },
    { name: 'trailing slash', input: '/cgi-bin/', want: '/cgi-bin' },
    { name: 'percent-decoded as request paths are', input: '/caf%C3%A9', want: '/café' },
    { name: 'dot segments removed', input: '/a/../b', want: '/b' },
    { name: 'relative refused', input: 'cgi-bin', want: null },
    { name: 'encoded separator refused', input: '/a%2fb', want: null },
  ],
  normalizeMountPrefix,
);

table<readonly [string, string], string | undefined>(
  'pathBelowPrefix(path, prefix)',
  [
    { name: 'the prefix itself', input: ['/api', '/api'], want: '' },
    { name: 'below it', input: ['/api/users/1', '/api'], want: '/users/1' },
    { name: 'segment-bounded', input: ['/apix', '/api'], want: undefined },
    { name: 'elsewhere', input: ['/other', '/api'], want: undefined },
    { name: 'root prefix owns every path', input: ['/x/y', ''], want: '/x/y' },
  ],
  ([path, prefix]) => pathBelowPrefix(path, prefix),
);
