// Tests for src/wire/status.ts: reason phrases and bodiless statuses (RFC 9110 §15, §6.4.1; issue #2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBodylessStatus, reasonPhrase, STATUS_REASONS } from '../../src/wire/index.js';

describe('reasonPhrase', () => {
  const rows = [
    { name: '200', input: 200, want: 'OK' },
    { name: '400', input: 400, want: 'Bad Request' },
    { name: '413 (RFC 9110 name)', input: 413, want: 'Content Too Large' },
    { name: '414', input: 414, want: 'URI Too Long' },
    { name: '417', input: 417, want: 'Expectation Failed' },
    { name: '422 (RFC 9110 name)', input: 422, want: 'Unprocessable Content' },
    { name: '431', input: 431, want: 'Request Header Fields Too Large' },
    { name: '501', input: 501, want: 'Not Implemented' },
    { name: '505', input: 505, want: 'HTTP Version Not Supported' },
    { name: 'unregistered', input: 299, want: '' },
    { name: 'not a status', input: -1, want: '' },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(reasonPhrase(input), want));

  test('the table is frozen and every phrase is a valid reason-phrase', () => {
    assert.ok(Object.isFrozen(STATUS_REASONS));
    for (const [code, phrase] of Object.entries(STATUS_REASONS)) {
      assert.match(code, /^[1-5][0-9][0-9]$/);
      assert.match(phrase, /^[\x20-\x7e]+$/);
    }
  });
});

describe('isBodylessStatus', () => {
  const rows = [
    { name: '100', input: 100, want: true },
    { name: '103', input: 103, want: true },
    { name: '200', input: 200, want: false },
    { name: '204', input: 204, want: true },
    { name: '205', input: 205, want: false },
    { name: '304', input: 304, want: true },
    { name: '404', input: 404, want: false },
  ];
  for (const { name, input, want } of rows) test(name, () => assert.equal(isBodylessStatus(input), want));
});
