import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError, prefersHtml, reasonPhrase, sendError } from '../../src/app/http-error.js';
import { MemoryRequest, MemoryResponse } from '../../src/app/inject.js';

describe('prefersHtml (Accept, RFC 9110 §12.5.1 simplified)', () => {
  const rows = [
    { name: 'absent', input: undefined, want: false },
    { name: 'browser', input: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', want: true },
    { name: 'json only', input: 'application/json', want: false },
    { name: 'json first', input: 'application/json, text/html', want: false },
    { name: 'html first', input: 'text/html, application/json', want: true },
    { name: 'html refused with q=0', input: 'text/html;q=0, */*', want: false },
    { name: 'html with q=0.5', input: 'text/html;q=0.5', want: true },
    { name: 'case-insensitive', input: 'TEXT/HTML', want: true },
    { name: 'wildcard only', input: '*/*', want: false },
  ];
  for (const r of rows) test(r.name, () => assert.equal(prefersHtml(r.input), r.want));
});

describe('sendError', () => {
  async function run(err: unknown, accept?: string, dev = false, prepare?: (res: MemoryResponse) => void) {
    const req = new MemoryRequest({ headers: accept === undefined ? [] : [['accept', accept]] });
    const res = new MemoryResponse();
    prepare?.(res);
    sendError(req, res, err, { dev });
    return res.response;
  }

  test('HttpError headers are sent, stale content headers removed', async () => {
    const r = await run(new HttpError(401, 'Log in', { headers: { 'WWW-Authenticate': 'Basic realm="x"' } }), undefined, false, (res) => {
      res.headers.set('content-type', 'image/png').set('etag', '"1"').set('x-keep', 'yes');
    });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="x"');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('etag'), null);
    assert.equal(r.headers.get('x-keep'), 'yes');
    assert.deepEqual(await r.json(), { error: { status: 401, code: 'ERR_HTTP', message: 'Log in' } });
  });

  test('a 5xx HttpError message is hidden unless expose', async () => {
    assert.equal(((await (await run(new HttpError(503, 'db down'))).json()) as { error: { message: string } }).error.message, 'Service Unavailable');
    assert.equal(((await (await run(new HttpError(503, 'try later', { expose: true }))).json()) as { error: { message: string } }).error.message, 'try later');
  });

  test('HTML escapes the message', async () => {
    const r = await run(new HttpError(400, '<script>x</script>'), 'text/html');
    const body = await r.text();
    assert.match(body, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.doesNotMatch(body, /<script>/);
  });

  test('thrown non-errors are 500', async () => {
    for (const thrown of [undefined, null, 'a string', 42, { status: 'nope' }, { status: 200 }]) {
      assert.equal((await run(thrown)).status, 500);
    }
  });

  test('after the head was sent it only ends the response', async () => {
    const req = new MemoryRequest({});
    const res = new MemoryResponse();
    res.write('partial');
    sendError(req, res, new Error('x'));
    assert.equal(res.finished, true);
    const r = await res.response;
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'partial');
  });

  test('reason phrases', () => {
    assert.equal(reasonPhrase(413), 'Content Too Large');
    assert.equal(reasonPhrase(499), 'Client Error');
    assert.equal(reasonPhrase(599), 'Server Error');
  });
});
