import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMultipart, type MultipartOptions } from '../../src/app/multipart.js';
import { MemoryRequest } from '../../src/app/inject.js';
import { App } from '../../src/app/index.js';

const B = 'XyZ-boundary_42';
const TYPE = `multipart/form-data; boundary=${B}`;

/** Builds a multipart body from parts with explicit CRLFs (RFC 7578). */
function body(parts: Array<{ headers: string[]; content: string | Buffer }>, epilogue = ''): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${B}\r\n${p.headers.join('\r\n')}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${B}--\r\n${epilogue}`));
  return Buffer.concat(chunks);
}

const field = (name: string, value: string) => ({ headers: [`Content-Disposition: form-data; name="${name}"`], content: value });
const file = (name: string, filename: string, content: string | Buffer, type = 'application/octet-stream') => ({
  headers: [`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, `Content-Type: ${type}`],
  content,
});

/** Delivery modes (STYLE rule 7): whole, byte by byte, and in odd-sized pieces. */
const DELIVERIES: Array<{ name: string; split: (b: Buffer) => Buffer[] }> = [
  { name: 'whole', split: (b) => [b] },
  { name: 'bytewise', split: (b) => [...b].map((x) => Buffer.from([x])) },
  {
    name: 'split-7',
    split: (b) => {
      const out: Buffer[] = [];
      for (let i = 0; i < b.length; i += 7) out.push(b.subarray(i, i + 7));
      return out;
    },
  },
];

function request(bytes: Buffer, delivery: (b: Buffer) => Buffer[], type = TYPE): MemoryRequest {
  const pieces = delivery(bytes);
  return new MemoryRequest({
    method: 'POST',
    headers: [['content-type', type]],
    body: (async function* () {
      yield* pieces;
    })(),
  });
}

// A binary payload containing CR, LF, dashes and a near-delimiter.
const BINARY = Buffer.concat([Buffer.from([0, 1, 2, 13, 10, 45, 45]), Buffer.from(`\r\n--${B.slice(0, -1)}x`), Buffer.alloc(300, 0xab)]);

describe('multipart: parsing', () => {
  for (const d of DELIVERIES) {
    test(`fields and files (${d.name})`, async () => {
      const bytes = body([field('title', 'Hello, wörld'), field('tag', 'a'), field('tag', 'b'), file('upload', 'pic.bin', BINARY)], 'epilogue ignored');
      const form = await readMultipart(request(bytes, d.split));
      assert.deepEqual({ ...form.fields }, { title: 'Hello, wörld', tag: ['a', 'b'] });
      assert.equal(form.files.length, 1);
      const f = form.files[0]!;
      assert.equal(f.fieldName, 'upload');
      assert.equal(f.filename, 'pic.bin');
      assert.equal(f.contentType, 'application/octet-stream');
      assert.equal(f.size, BINARY.length);
      assert.deepEqual(f.buffer, BINARY);
    });
  }

  test('preamble, quoted boundary, transport padding and an empty file', async () => {
    const raw = Buffer.from(
      `this is a preamble\r\n--${B}  \r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B}\r\n` +
        `Content-Disposition: form-data; name="f"; filename=""\r\n\r\n\r\n--${B}--`,
    );
    const form = await readMultipart(request(raw, (b) => [b], `multipart/form-data; boundary="${B}"`));
    assert.equal(form.fields.a, '1');
    assert.equal(form.files[0]!.size, 0);
    assert.equal(form.files[0]!.filename, '');
  });

  test('filename* (RFC 8187) wins over filename', async () => {
    const raw = body([{ headers: [`Content-Disposition: form-data; name="f"; filename="x.txt"; filename*=UTF-8''%E2%82%AC.txt`], content: 'e' }]);
    const form = await readMultipart(request(raw, (b) => [b]));
    assert.equal(form.files[0]!.filename, '€.txt');
  });

  test('disk storage writes files with random names and cleanup() removes them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keel-mp-'));
    try {
      const bytes = body([file('a', '../../etc/passwd', BINARY), file('b', 'b.txt', 'hello', 'text/plain')]);
      const form = await readMultipart(request(bytes, DELIVERIES[2]!.split), { storage: 'disk', uploadDir: dir });
      assert.equal(form.files.length, 2);
      for (const f of form.files) {
        assert.ok(f.path!.startsWith(dir + '/keel-upload-'), f.path);
        assert.equal(f.buffer, undefined);
        assert.equal((await stat(f.path!)).size, f.size);
      }
      assert.deepEqual(await readFile(form.files[0]!.path!), BINARY);
      assert.equal(await readFile(form.files[1]!.path!, 'utf8'), 'hello');
      await form.cleanup();
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('disk storage leaves no file behind after a limit error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keel-mp-'));
    try {
      const bytes = body([file('a', 'a', 'small'), file('b', 'b', 'x'.repeat(100))]);
      await assert.rejects(readMultipart(request(bytes, (b) => [b]), { storage: 'disk', uploadDir: dir, maxFileBytes: 50 }), { status: 413, code: 'ERR_FILE_TOO_LARGE' });
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('multipart: limits and bad input', () => {
  const rows: Array<{ name: string; input: { bytes: Buffer; type?: string; options?: MultipartOptions }; want: { status: number; code: string } }> = [
    { name: 'not multipart → 415', input: { bytes: Buffer.from('x'), type: 'application/json' }, want: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' } },
    { name: 'no boundary → 400', input: { bytes: Buffer.from('x'), type: 'multipart/form-data' }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'boundary too long → 400', input: { bytes: Buffer.from('x'), type: `multipart/form-data; boundary=${'a'.repeat(71)}` }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'truncated body → 400', input: { bytes: body([field('a', '1')]).subarray(0, 60) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'no closing boundary → 400', input: { bytes: Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1`) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'empty body → 400', input: { bytes: Buffer.alloc(0) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'garbage after delimiter → 400', input: { bytes: Buffer.from(`--${B}junk\r\n\r\n--${B}--`) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'part without Content-Disposition → 400', input: { bytes: body([{ headers: ['Content-Type: text/plain'], content: 'x' }]) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'disposition not form-data → 400', input: { bytes: body([{ headers: ['Content-Disposition: attachment; name="a"'], content: 'x' }]) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'disposition without name → 400', input: { bytes: body([{ headers: ['Content-Disposition: form-data'], content: 'x' }]) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'malformed part header → 400', input: { bytes: body([{ headers: ['no colon here'], content: 'x' }]) }, want: { status: 400, code: 'ERR_INVALID_MULTIPART' } },
    { name: 'file too large → 413', input: { bytes: body([file('f', 'f', 'x'.repeat(11))]), options: { maxFileBytes: 10 } }, want: { status: 413, code: 'ERR_FILE_TOO_LARGE' } },
    { name: 'file at the limit is fine', input: { bytes: body([file('f', 'f', 'x'.repeat(10))]), options: { maxFileBytes: 10, maxFields: 0 } }, want: { status: 0, code: '' } },
    { name: 'too many files → 413', input: { bytes: body([file('a', 'a', '1'), file('b', 'b', '2')]), options: { maxFiles: 1 } }, want: { status: 413, code: 'ERR_TOO_MANY_FILES' } },
    { name: 'too many fields → 413', input: { bytes: body([field('a', '1'), field('b', '2')]), options: { maxFields: 1 } }, want: { status: 413, code: 'ERR_TOO_MANY_FIELDS' } },
    { name: 'field too large → 413', input: { bytes: body([field('a', 'x'.repeat(6))]), options: { maxFieldBytes: 5 } }, want: { status: 413, code: 'ERR_FIELD_TOO_LARGE' } },
    {
      name: 'part headers too large → 413',
      input: { bytes: body([{ headers: ['Content-Disposition: form-data; name="a"', `X-Pad: ${'p'.repeat(200)}`], content: 'x' }]), options: { maxPartHeaderBytes: 100 } },
      want: { status: 413, code: 'ERR_PART_HEADER_TOO_LARGE' },
    },
    { name: 'whole body too large → 413', input: { bytes: body([field('a', 'x'.repeat(100))]), options: { maxMultipartBytes: 50 } }, want: { status: 413, code: 'ERR_BODY_TOO_LARGE' } },
  ];
  for (const r of rows) {
    for (const d of DELIVERIES) {
      test(`${r.name} (${d.name})`, async () => {
        const p = readMultipart(request(r.input.bytes, d.split, r.input.type), r.input.options);
        if (r.want.status === 0) await p;
        else await assert.rejects(p, { status: r.want.status, code: r.want.code });
      });
    }
  }
});

test('through the App: files from a real FormData (undici encoder), 413 mapped', async () => {
  const app = new App({ onError: () => undefined, multipart: { maxFileBytes: 1000 } });
  app.post('/upload', async (ctx) => {
    const form = await ctx.readMultipart();
    ctx.json({ fields: form.fields, files: form.files.map((f) => ({ name: f.filename, size: f.size, type: f.contentType, text: f.buffer!.toString() })) });
  });
  const fd = new FormData();
  fd.append('comment', 'nice «pic»');
  fd.append('pic', new Blob(['PNGDATA'], { type: 'image/png' }), 'p.png');
  const res = await app.request('/upload', { method: 'POST', body: fd });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { fields: { comment: 'nice «pic»' }, files: [{ name: 'p.png', size: 7, type: 'image/png', text: 'PNGDATA' }] });

  const big = new FormData();
  big.append('pic', new Blob(['x'.repeat(1001)]), 'big.bin');
  const res2 = await app.request('/upload', { method: 'POST', body: big });
  assert.equal(res2.status, 413);
  assert.equal(((await res2.json()) as { error: { code: string } }).error.code, 'ERR_FILE_TOO_LARGE');
});

describe('multipart: properties', () => {
  // Imported lazily so the table tests above stay readable without fast-check.
  const fcP = import('fast-check');

  test('any split of any valid body parses to the same fields and files', async () => {
    const fc = (await fcP).default;
    const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
    // Content likely to contain CR, LF, dashes and pieces of the boundary.
    const tricky = fc
      .array(fc.oneof(bytes, fc.constantFrom(Buffer.from('\r\n'), Buffer.from('--'), Buffer.from(`--${B.slice(0, 5)}`), Buffer.from(`\r\n--${B.slice(0, -2)}`))), { maxLength: 6 })
      .map((parts) => Buffer.concat(parts));
    const part = fc.record({ isFile: fc.boolean(), name: fc.constantFrom('a', 'b', 'c'), content: tricky });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), async (parts, sizes) => {
        // Text fields must be valid UTF-8 to compare as strings: use hex for them.
        const spec = parts.map((p) => (p.isFile ? file(p.name, 'f.bin', p.content) : field(p.name, p.content.toString('hex'))));
        const raw = body(spec);
        const pieces: Buffer[] = [];
        let at = 0;
        for (let k = 0; at < raw.length; k++) {
          const n = sizes[k % sizes.length]!;
          pieces.push(raw.subarray(at, at + n));
          at += n;
        }
        const form = await readMultipart(request(raw, () => pieces));
        const wantFiles = parts.filter((p) => p.isFile).map((p) => p.content);
        assert.deepEqual(form.files.map((f) => f.buffer), wantFiles);
        const wantFields: Record<string, string | string[]> = {};
        for (const p of parts) {
          if (p.isFile) continue;
          const v = p.content.toString('hex');
          const prev = wantFields[p.name];
          wantFields[p.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        assert.deepEqual({ ...form.fields }, wantFields);
      }),
      { numRuns: 300 },
    );
  });

  test('any input either parses or fails with an HttpError (400/413), nothing else', async () => {
    const fc = (await fcP).default;
    const atoms = fc.constantFrom(`--${B}`, `--${B}--`, '\r\n', '\r\n\r\n', 'Content-Disposition: form-data; name="x"', '; filename="f"', 'Content-Type: a/b', ':', '"', 'data', ' ', '\n');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(atoms, fc.string({ maxLength: 8 })), { maxLength: 30 }), async (xs) => {
        const raw = Buffer.from(xs.join(''));
        try {
          await readMultipart(request(raw, (b) => [b]), { maxPartHeaderBytes: 64, maxFields: 3, maxFiles: 2 });
        } catch (err) {
          const status = (err as { status?: number }).status;
          assert.ok(status === 400 || status === 413, `unexpected error: ${String(err)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
