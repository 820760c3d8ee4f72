// The static handler and the CGI gateway take their `prefix` option through the one mount-prefix
// rule (issue #14 item 5; src/wire/mount-prefix.ts: normalizeMountPrefix, pathBelowPrefix), so
// the same option mounts both at the same place: written with a trailing "/", with dot segments
// or percent-encoded, it is one prefix; it owns whole segments only ("/mnt" never "/mntx"); and an
// option that is not an absolute path fails when the handler is created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgiHandler } from '../../src/handlers/cgi.js';
import { staticHandler } from '../../src/handlers/static.js';
import type { Handler } from '../../src/server/handler.js';
import { Server } from '../../src/server/server.js';
import { parseResponse } from '../helpers/http.js';
import { exchange } from '../helpers/socket.js';
import { tempDir } from '../helpers/tmp.js';

/** The one file under the root: the static handler sends its bytes, the CGI gateway runs it. */
const SCRIPT = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nran\\n"\n';

let root: string;
before(() => {
  root = tempDir('handler-prefix');
  writeFileSync(join(root, 's.sh'), SCRIPT, { mode: 0o755 });
});
after(() => rmSync(root, { recursive: true, force: true }));

const HANDLERS: Array<{ name: string; make: (prefix: string) => Handler; body: string }> = [
  { name: 'static', make: (prefix) => staticHandler({ root, prefix }), body: SCRIPT },
  { name: 'cgi', make: (prefix) => cgiHandler({ root, prefix }), body: 'ran\n' },
];

/** Ways to write the mount "/mnt": each mounts the handler there and nowhere else. */
const MNT_FORMS = ['/mnt', '/mnt/', '/x/../mnt', '/%6Dnt'];

/** Which request paths a handler mounted at "/mnt" answers with the file (200) and which with 404. */
const MNT_PATHS: Array<{ name: string; input: string; want: number }> = [
  { name: 'below the prefix', input: '/mnt/s.sh', want: 200 },
  { name: 'a longer segment that starts with the prefix', input: '/mntx/s.sh', want: 404 },
  { name: 'outside the prefix', input: '/s.sh', want: 404 },
];

async function get(handler: Handler, path: string): Promise<{ status: number; body: string }> {
  const server = new Server(handler, { onError: () => {} });
  await server.listen(0, '127.0.0.1');
  try {
    const { bytes } = await exchange(server.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    const res = parseResponse(bytes);
    return { status: res.status, body: res.body.toString('latin1') };
  } finally {
    await server.close();
  }
}

for (const h of HANDLERS) {
  describe(`${h.name} handler: the prefix option`, () => {
    for (const form of MNT_FORMS) {
      for (const { name, input, want } of MNT_PATHS) {
        test(`prefix ${JSON.stringify(form)}: ${name} (${input}) is ${want}`, async () => {
          const res = await get(h.make(form), input);
          assert.equal(res.status, want);
          if (want === 200) assert.equal(res.body, h.body);
        });
      }
    }

    for (const form of ['', '/']) {
      test(`prefix ${JSON.stringify(form)} mounts at the root`, async () => {
        const res = await get(h.make(form), '/s.sh');
        assert.equal(res.status, 200);
        assert.equal(res.body, h.body);
      });
    }

    for (const form of ['mnt', '/../mnt']) {
      test(`prefix ${JSON.stringify(form)} is refused when the handler is created`, () => {
        assert.throws(() => h.make(form), h.name === 'cgi' ? TypeError : /invalid static prefix/);
      });
    }
  });
}
