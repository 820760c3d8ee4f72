// Enforces the layer arrows of STYLE.md ("Layout and dependency direction") over src/ (issue #3).
// Imports are read with a regex over each file: static `import`/`export ... from`, side-effect
// `import '...'` and dynamic `import('...')`. A rule broken anywhere fails with file and specifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

/** One import found in a source file. */
interface Import {
  /** The importing file, relative to src/ with forward slashes (e.g. `app/listen.ts`). */
  file: string;
  /** The specifier as written. */
  spec: string;
  /** Where a relative specifier points, relative to src/ (e.g. `server/handler.ts`); '' for packages and node: builtins. */
  target: string;
  /** `import type` / `export type`: erased at compile time. */
  isTypeOnly: boolean;
  /** `import('...')`. */
  isDynamic: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Removes comments that start a line (JSDoc, headers) and `//` comments, so commented-out examples don't count. */
function stripComments(text: string): string {
  return text.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

const STATIC_RE = /^\s*(import|export)\s+(type\s+)?([^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import of a file. Exported for the self-test below. */
function parseImports(file: string, text: string): Import[] {
  const code = stripComments(text);
  const out: Import[] = [];
  const resolve = (spec: string): string => {
    if (!spec.startsWith('.')) return '';
    const abs = path.resolve(path.dirname(path.join(SRC, file)), spec).replace(/\.js$/, '.ts');
    return path.relative(SRC, abs).split(path.sep).join('/');
  };
  for (const m of code.matchAll(STATIC_RE)) {
    // `export const x = ...` and friends have no specifier and never match (the quote must follow from/import).
    if (m[1] === 'export' && m[3] === undefined) continue;
    out.push({ file, spec: m[4], target: resolve(m[4]), isTypeOnly: m[2] !== undefined, isDynamic: false });
  }
  for (const m of code.matchAll(DYNAMIC_RE)) out.push({ file, spec: m[1], target: resolve(m[1]), isTypeOnly: false, isDynamic: true });
  return out;
}

const FILES = walk(SRC).map((abs) => path.relative(SRC, abs).split(path.sep).join('/'));
const IMPORTS: Import[] = FILES.flatMap((file) => parseImports(file, fs.readFileSync(path.join(SRC, file), 'utf8')));

const layerOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel);
const isNode = (i: Import): boolean => i.spec.startsWith('node:');
const show = (bad: Import[]): string => bad.map((i) => `${i.file}: ${i.isTypeOnly ? 'import type ' : ''}'${i.spec}'`).join('\n');

/** The rules of STYLE.md; each returns the imports that break it. */
const RULES: Array<{ name: string; input: (i: Import) => boolean }> = [
  {
    name: 'src/wire imports nothing outside wire/: no node: modules, no packages',
    input: (i) => layerOf(i.file) === 'wire' && layerOf(i.target) !== 'wire',
  },
  {
    name: 'nothing in src/ imports node:http, node:https or node:http2',
    input: (i) => /^(node:)?(http|https|http2)$/.test(i.spec),
  },
  {
    name: 'src/server imports only wire/, server/ and node: builtins',
    input: (i) => layerOf(i.file) === 'server' && !isNode(i) && !['wire', 'server'].includes(layerOf(i.target)),
  },
  {
    name: 'src/client imports only wire/, client/ and node: builtins (never server/: it drives wire/ from the other side)',
    input: (i) => layerOf(i.file) === 'client' && !isNode(i) && !['wire', 'client'].includes(layerOf(i.target)),
  },
  {
    name: 'src/client is imported only by cli/ and the public index',
    input: (i) => layerOf(i.target) === 'client' && !['client', 'cli', 'index.ts'].includes(layerOf(i.file)),
  },
  {
    // HTTP semantics shared by app/ (middleware) and handlers/ (static files), which may not import
    // each other: content negotiation, compression, CORS, Vary (issue #16).
    name: 'src/semantics imports only wire/, semantics/, server/ as types, and node: builtins',
    input: (i) =>
      layerOf(i.file) === 'semantics' &&
      !isNode(i) &&
      !['wire', 'semantics'].includes(layerOf(i.target)) &&
      !(layerOf(i.target) === 'server' && i.isTypeOnly),
  },
  {
    name: 'src/app imports server/ only as `import type` (app/listen.ts may import() server.js)',
    input: (i) =>
      layerOf(i.file) === 'app' &&
      layerOf(i.target) === 'server' &&
      !i.isTypeOnly &&
      !(i.file === 'app/listen.ts' && i.isDynamic && i.target === 'server/server.ts'),
  },
  {
    name: 'src/app imports nothing from handlers/, db/, demo/ or cli/',
    input: (i) => layerOf(i.file) === 'app' && ['handlers', 'db', 'demo', 'cli'].includes(layerOf(i.target)),
  },
  {
    name: 'src/handlers never imports app/ (nor demo/, db/, cli/), and server/ only as types',
    input: (i) =>
      layerOf(i.file) === 'handlers' &&
      (['app', 'demo', 'db', 'cli'].includes(layerOf(i.target)) || (layerOf(i.target) === 'server' && !i.isTypeOnly)),
  },
  {
    name: 'src/db imports nothing from wire/, server/, app/ (nor handlers/, demo/, cli/)',
    input: (i) => layerOf(i.file) === 'db' && ['wire', 'server', 'app', 'handlers', 'demo', 'cli'].includes(layerOf(i.target)),
  },
  {
    name: 'nothing outside cli/ imports src/cli',
    input: (i) => layerOf(i.file) !== 'cli' && layerOf(i.target) === 'cli',
  },
  {
    name: 'demo/ imports only app/index, handlers/, db/, server/handler types, demo/ and node: builtins',
    input: (i) => {
      if (layerOf(i.file) !== 'demo' || isNode(i)) return false;
      const t = i.target;
      if (t === '') return true; // a package: the demo uses only keel
      if (layerOf(t) === 'demo' || layerOf(t) === 'handlers' || layerOf(t) === 'db') return false;
      if (t === 'app/index.ts') return false;
      if (t === 'server/handler.ts' && i.isTypeOnly) return false;
      return true;
    },
  },
  {
    name: 'the core (wire, server, app, handlers) has zero runtime npm dependencies',
    input: (i) => ['wire', 'server', 'app', 'handlers', 'client', 'semantics'].includes(layerOf(i.file)) && i.target === '' && !isNode(i) && !i.isTypeOnly,
  },
];

test('architecture: the source tree was found and parsed', () => {
  for (const layer of ['wire', 'server', 'app', 'handlers', 'db', 'cli', 'client', 'semantics']) {
    assert.ok(FILES.some((f) => layerOf(f) === layer), `src/${layer} has files`);
  }
  assert.ok(IMPORTS.length > 50, `found ${IMPORTS.length} imports`);
  // Every relative import points at a file that exists: otherwise target paths are wrong and rules see nothing.
  const missing = IMPORTS.filter((i) => i.target !== '' && !fs.existsSync(path.join(SRC, i.target)));
  assert.equal(show(missing), '', 'relative imports resolve to files');
});

for (const rule of RULES) {
  test(`architecture: ${rule.name}`, () => {
    assert.equal(show(IMPORTS.filter(rule.input)), '', rule.name);
  });
}

// The checker itself must be able to fail: a table of known-bad files, each caught by the named rule.
const SELF_CASES: Array<{ name: string; input: { file: string; text: string }; want: string | null }> = [
  { name: 'wire importing node:buffer', input: { file: 'wire/x.ts', text: "import { Buffer } from 'node:buffer';" }, want: 'src/wire imports nothing' },
  { name: 'wire importing server', input: { file: 'wire/x.ts', text: "import type { Handler } from '../server/handler.js';" }, want: 'src/wire imports nothing' },
  { name: 'server importing node:http', input: { file: 'server/x.ts', text: "import http from 'node:http';" }, want: 'nothing in src/ imports node:http' },
  { name: 'bare "https"', input: { file: 'cli/x.ts', text: "import * as https from 'https';" }, want: 'nothing in src/ imports node:http' },
  { name: 'server importing app', input: { file: 'server/x.ts', text: "import { App } from '../app/app.js';" }, want: 'src/server imports only' },
  { name: 'app value import of server', input: { file: 'app/x.ts', text: "import { Server } from '../server/server.js';" }, want: 'src/app imports server/ only' },
  {
    name: 'app multi-line value import of server',
    input: { file: 'app/x.ts', text: "import {\n  Server,\n  createServer,\n} from '../server/server.js';" },
    want: 'src/app imports server/ only',
  },
  { name: 'app inline `type` specifier is still a runtime import', input: { file: 'app/x.ts', text: "import { type Handler } from '../server/handler.js';" }, want: 'src/app imports server/ only' },
  { name: 'app dynamic import of server outside listen.ts', input: { file: 'app/x.ts', text: "const m = await import('../server/server.js');" }, want: 'src/app imports server/ only' },
  { name: 'app/listen.ts dynamic import is allowed', input: { file: 'app/listen.ts', text: "const { Server } = await import('../server/server.js');" }, want: null },
  { name: 'app import type is allowed', input: { file: 'app/x.ts', text: "import type { Handler } from '../server/handler.js';" }, want: null },
  { name: 'handlers importing app', input: { file: 'handlers/x.ts', text: "export { App } from '../app/index.js';" }, want: 'src/handlers never imports app/' },
  { name: 'db importing wire', input: { file: 'db/x.ts', text: "import { HeaderMap } from '../wire/header-map.js';" }, want: 'src/db imports nothing' },
  { name: 'server importing cli', input: { file: 'server/x.ts', text: "import '../cli/main.js';" }, want: 'nothing outside cli/ imports src/cli' },
  { name: 'demo importing the server', input: { file: 'demo/x.ts', text: "import { Server } from '../server/server.js';" }, want: 'demo/ imports only' },
  { name: 'demo importing app internals', input: { file: 'demo/x.ts', text: "import { compose } from '../app/compose.js';" }, want: 'demo/ imports only' },
  { name: 'server importing an npm package', input: { file: 'server/x.ts', text: "import fastify from 'fastify';" }, want: 'the core' },
  { name: 'client importing server', input: { file: 'client/x.ts', text: "import { Server } from '../server/server.js';" }, want: 'src/client imports only' },
  { name: 'client importing app types', input: { file: 'client/x.ts', text: "import type { App } from '../app/app.js';" }, want: 'src/client imports only' },
  { name: 'client importing an npm package', input: { file: 'client/x.ts', text: "import { request } from 'undici';" }, want: 'src/client imports only' },
  { name: 'client importing wire and node:tls is allowed', input: { file: 'client/x.ts', text: "import * as tls from 'node:tls';\nimport { ResponseParser } from '../wire/response-parser.js';" }, want: null },
  { name: 'server importing client', input: { file: 'server/x.ts', text: "import { Client } from '../client/client.js';" }, want: 'src/server imports only' },
  { name: 'app importing client', input: { file: 'app/x.ts', text: "import { fetch } from '../client/index.js';" }, want: 'src/client is imported only by' },
  { name: 'cli importing client is allowed', input: { file: 'cli/get.ts', text: "import { Client } from '../client/index.js';" }, want: null },
  { name: 'an import inside a comment does not count', input: { file: 'wire/x.ts', text: "/**\n * import http from 'node:http';\n */\n// import net from 'node:net';\nexport const X = 1;" }, want: null },
];

for (const row of SELF_CASES) {
  test(`architecture self-test: ${row.name}`, () => {
    const imports = parseImports(row.input.file, row.input.text);
    const broken = RULES.filter((r) => imports.some(r.input)).map((r) => r.name);
    if (row.want === null) assert.deepEqual(broken, []);
    else assert.ok(broken.some((n) => n.startsWith(row.want!)), `expected a rule starting "${row.want}", got ${JSON.stringify(broken)}`);
  });
}
