// Unit tests for the CGI environment builder (RFC 3875 §4.1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CGI_PATH,
  buildCgiEnv,
  cgiServerName,
  headerEnvName,
  latin1ToEnvValue,
  pickAllowedEnv,
  type CgiEnvInput,
} from '../../src/handlers/cgi-env.js';

function input(over: Partial<CgiEnvInput> = {}): CgiEnvInput {
  return {
    method: 'GET',
    scriptName: '/cgi-bin/env.py',
    pathInfo: '',
    pathTranslated: undefined,
    query: '',
    requestUri: '/cgi-bin/env.py',
    scriptFilename: '/srv/cgi-bin/env.py',
    serverName: 'example.com',
    serverPort: 8080,
    httpVersion: '1.1',
    serverSoftware: 'keel',
    remoteAddress: '192.0.2.7',
    remotePort: 50123,
    isSecure: false,
    contentType: undefined,
    contentLength: undefined,
    rawHeaders: [],
    passAuthorization: false,
    ...over,
  };
}

describe('headerEnvName', () => {
  const rows: { name: string; input: string; want: string | null }[] = [
    { name: 'simple', input: 'User-Agent', want: 'HTTP_USER_AGENT' },
    { name: 'lower case', input: 'x-forwarded-for', want: 'HTTP_X_FORWARDED_FOR' },
    { name: 'underscore dropped (spoofing X-Foo)', input: 'X_Foo', want: null },
    { name: 'Proxy dropped (httpoxy)', input: 'Proxy', want: null },
    { name: 'PROXY dropped (httpoxy, any case)', input: 'pRoXy', want: null },
    { name: 'Content-Type is CONTENT_TYPE only', input: 'Content-Type', want: null },
    { name: 'Content-Length is CONTENT_LENGTH only', input: 'content-length', want: null },
    { name: 'Transfer-Encoding dropped', input: 'Transfer-Encoding', want: null },
    { name: 'Authorization dropped by default', input: 'Authorization', want: null },
    { name: 'token chars outside [A-Za-z0-9-] dropped', input: 'X.Foo', want: null },
    { name: 'Proxy-Foo passes (only a field named Proxy is httpoxy)', input: 'Proxy-Foo', want: 'HTTP_PROXY_FOO' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.equal(headerEnvName(row.input), row.want));
  }
  it('passes Authorization when asked to', () => assert.equal(headerEnvName('Authorization', true), 'HTTP_AUTHORIZATION'));
});

describe('buildCgiEnv', () => {
  it('sets every RFC 3875 meta-variable with exact values', () => {
    const env = buildCgiEnv(
      input({
        method: 'POST',
        pathInfo: '/a/b',
        pathTranslated: '/srv/www/a/b',
        query: 'x=1&y=%20',
        requestUri: '/cgi-bin/env.py/a/b?x=1&y=%20',
        contentType: 'application/x-www-form-urlencoded',
        contentLength: 12,
        isSecure: true,
        rawHeaders: ['Host', 'example.com:8080', 'Authorization', 'Basic dTpw'],
      }),
      { PATH: '/bin' },
    );
    assert.deepEqual(env, {
      PATH: '/bin',
      HTTP_HOST: 'example.com:8080',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_NAME: 'example.com',
      SERVER_PORT: '8080',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'keel',
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '/cgi-bin/env.py',
      PATH_INFO: '/a/b',
      PATH_TRANSLATED: '/srv/www/a/b',
      QUERY_STRING: 'x=1&y=%20',
      REMOTE_ADDR: '192.0.2.7',
      REMOTE_HOST: '192.0.2.7',
      REMOTE_PORT: '50123',
      REQUEST_URI: '/cgi-bin/env.py/a/b?x=1&y=%20',
      SCRIPT_FILENAME: '/srv/cgi-bin/env.py',
      CONTENT_TYPE: 'application/x-www-form-urlencoded',
      CONTENT_LENGTH: '12',
      AUTH_TYPE: 'Basic',
      HTTPS: 'on',
    });
  });

  it('leaves out PATH_TRANSLATED, CONTENT_*, AUTH_TYPE and HTTPS when they do not apply', () => {
    const env = buildCgiEnv(input({ pathTranslated: '/srv/x' }));
    for (const name of ['PATH_TRANSLATED', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'AUTH_TYPE', 'HTTPS', 'REMOTE_USER']) {
      assert.equal(name in env, false, name);
    }
    assert.equal(env.PATH_INFO, '');
    assert.equal(env.QUERY_STRING, '');
    assert.equal(env.PATH, DEFAULT_CGI_PATH);
  });

  it('joins repeated headers with ", " and cookies with "; "', () => {
    const env = buildCgiEnv(input({ rawHeaders: ['Accept', 'a/b', 'Cookie', 'a=1', 'accept', 'c/d', 'cookie', 'b=2'] }));
    assert.equal(env.HTTP_ACCEPT, 'a/b, c/d');
    assert.equal(env.HTTP_COOKIE, 'a=1; b=2');
  });

  it('never lets a header spoof another, a meta-variable or the proxy setting', () => {
    const env = buildCgiEnv(
      input({
        rawHeaders: ['X-Foo', 'real', 'X_Foo', 'spoof', 'Proxy', 'http://evil.example:8888', 'Content-Type', 'x/y', 'Content-Length', '99', 'Secret', 'hdr'],
      }),
      { HTTP_SECRET: 'operator' },
    );
    assert.equal(env.HTTP_X_FOO, 'real');
    assert.equal('HTTP_PROXY' in env, false);
    assert.equal('HTTP_CONTENT_TYPE' in env, false);
    assert.equal('HTTP_CONTENT_LENGTH' in env, false);
    assert.equal(env.HTTP_SECRET, 'operator');
  });

  it('passes header bytes that are UTF-8 through as the same bytes', () => {
    const latin1 = Buffer.from('caf\u00e9', 'utf8').toString('latin1');
    const env = buildCgiEnv(input({ rawHeaders: ['X-Name', latin1] }));
    assert.equal(env.HTTP_X_NAME, 'caf\u00e9');
  });

  it('drops variables holding NUL, which execve cannot carry', () => {
    const env = buildCgiEnv(input({ rawHeaders: ['X-Bad', 'a\u0000b'] }));
    assert.equal('HTTP_X_BAD' in env, false);
  });
});

describe('latin1ToEnvValue', () => {
  const rows = [
    { name: 'ascii', input: 'abc', want: 'abc' },
    { name: 'valid utf-8 bytes', input: '\u00c3\u00a9', want: '\u00e9' },
    { name: 'invalid utf-8 byte', input: '\u00e9', want: '\ufffd' },
  ];
  for (const row of rows) it(row.name, () => assert.equal(latin1ToEnvValue(row.input), row.want));
});

describe('pickAllowedEnv', () => {
  it('copies only allowed names that are set', () => {
    assert.deepEqual(pickAllowedEnv({ PATH: '/bin', SECRET: 's', TZ: undefined, LANG: 'C' }, ['PATH', 'TZ', 'LANG']), { PATH: '/bin', LANG: 'C' });
  });
});

describe('cgiServerName', () => {
  const rows: { name: string; input: [string | undefined, string | undefined, string]; want: string }[] = [
    { name: 'configured wins', input: ['conf.example', 'host.example', '10.0.0.1'], want: 'conf.example' },
    { name: 'host without port', input: [undefined, 'host.example:8080', '10.0.0.1'], want: 'host.example' },
    { name: 'host IPv6 literal', input: [undefined, '[::1]:8080', '::1'], want: '[::1]' },
    { name: 'bad host falls back to local address', input: [undefined, 'bad host/x', '10.0.0.1'], want: '10.0.0.1' },
    { name: 'no host, IPv6 local address bracketed', input: [undefined, undefined, '::1'], want: '[::1]' },
  ];
  for (const row of rows) it(row.name, () => assert.equal(cgiServerName(...row.input), row.want));
});
