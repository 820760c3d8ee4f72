// The one plain-text error body (src/wire/error-body.ts; docs/errors.md "Error bodies"; issue #14 item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLAIN_ERROR_CONTENT_TYPE, plainErrorBody, statusText } from '../../src/wire/error-body.js';
import { reasonPhrase } from '../../src/wire/status.js';
import { table } from '../helpers/table.js';

table(
  'statusText',
  [
    { name: 'registered: its reason phrase', input: 404, want: 'Not Found' },
    { name: 'RFC 9110 name of 413', input: 413, want: 'Content Too Large' },
    { name: 'unregistered 4xx: class name (RFC 9110 §15.5)', input: 499, want: 'Client Error' },
    { name: 'unregistered 5xx: class name (RFC 9110 §15.6)', input: 599, want: 'Server Error' },
    { name: 'unregistered 2xx', input: 299, want: 'Successful' },
    { name: 'outside 100-599', input: 999, want: 'Error' },
  ],
  statusText,
);

table(
  'plainErrorBody',
  [
    { name: '400', input: 400, want: '400 Bad Request\n' },
    { name: '500', input: 500, want: '500 Internal Server Error\n' },
    { name: 'unregistered', input: 499, want: '499 Client Error\n' },
  ],
  plainErrorBody,
);

test('the status line keeps its empty reason for unregistered codes (RFC 9112 §4); the body type is plain UTF-8 text', () => {
  assert.equal(reasonPhrase(499), '');
  assert.equal(PLAIN_ERROR_CONTENT_TYPE, 'text/plain; charset=utf-8');
});
