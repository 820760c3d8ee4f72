// The Client against a scripted hostile server (#17, item 5): each malformed or malicious response
// shape, what the caller sees, and that the connection it came on is never reused.
// docs/client.md ("Hostile servers") lists the same table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Client } from '../../src/client/index.js';
import { deferred, rejection, withScripted } from './helpers.js';

const OK = 'HTTP/1.1 200 OK\r\n';

/** Responses that must fail the request itself (the head never reaches the caller). */
const headRows: Array<{ name: string; input: string; want: string }> = [
  { name: 'Content-Length with Transfer-Encoding', input: `${OK}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, want: 'ERR_RESPONSE_CONFLICTING_FRAMING' },
  { name: 'differing Content-Length values', input: `${OK}Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello`, want: 'ERR_RESPONSE_CONTENT_LENGTH' },
  { name: 'a bare LF line end', input: `${OK}Content-Length: 5\n\r\nhello`, want: 'ERR_RESPONSE_BARE_LF' },
  { name: 'a bare CR in a field', input: `${OK}X: a\rContent-Length: 5\r\n\r\nhello`, want: 'ERR_RESPONSE_HEADER_VALUE' },
  { name: 'obs-fold', input: `${OK}X: a\r\n Content-Length: 5\r\n\r\nhello`, want: 'ERR_RESPONSE_OBS_FOLD' },
  { name: 'NUL in a field value', input: `${OK}X: a\x00b\r\nContent-Length: 5\r\n\r\nhello`, want: 'ERR_RESPONSE_HEADER_VALUE' },
  { name: 'space before the colon', input: `${OK}Content-Length : 5\r\n\r\nhello`, want: 'ERR_RESPONSE_HEADER_NAME' },
  { name: 'a transfer coding it cannot decode', input: `${OK}Transfer-Encoding: gzip\r\n\r\nxx`, want: 'ERR_RESPONSE_TRANSFER_ENCODING' },
  { name: 'an oversize head (40 KiB of fields)', input: `${OK}${'X-Pad: ' + 'a'.repeat(1000) + '\r\n'}`.repeat(1) + `X-Big: ${'b'.repeat(40 * 1024)}\r\n\r\n`, want: 'ERR_RESPONSE_HEAD_TOO_LARGE' },
  { name: 'too many fields (over the default 1000)', input: `${OK}${'A: 1\r\n'.repeat(1001)}\r\n`, want: 'ERR_RESPONSE_HEAD_TOO_LARGE' },
  { name: 'a 1xx flood (1000 x 100 Continue)', input: 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(1000), want: 'ERR_RESPONSE_TOO_MANY_INFORMATIONAL' },
  { name: '101 Switching Protocols nobody asked for', input: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n', want: 'ERR_RESPONSE_UNEXPECTED_SWITCH' },
  { name: 'an HTTP/0.9-style answer (no status line)', input: '<html>hi</html>\r\n', want: 'ERR_RESPONSE_STATUS_LINE' },
  { name: 'HTTP/2 status line', input: 'HTTP/2 200\r\n\r\n', want: 'ERR_RESPONSE_STATUS_LINE' },
  { name: 'a status code out of range', input: 'HTTP/1.1 999 Nope\r\n\r\n', want: 'ERR_RESPONSE_STATUS_LINE' },
  { name: 'a head cut by the close', input: `${OK}Content-Len`, want: 'ERR_RESPONSE_INCOMPLETE' },
];

describe('hostile server: malformed heads fail the request and close the connection', () => {
  for (const { name, input, want } of headRows) {
    test(name, async () => {
      await withScripted((conn) => conn.socket.end(Buffer.from(input, 'latin1')), async (origin, state) => {
        const client = new Client(origin);
        try {
          const err = await rejection(client.request());
          assert.equal(err.code, want);
          assert.equal((err as { status?: number }).status, 502);
          assert.equal(client.connections, 0, 'the connection is not kept');
          assert.equal(state.connections.length, 1, 'not retried: bytes of a response had arrived');
        } finally {
          client.destroy();
        }
      });
    });
  }
});

describe('hostile server: bodies', () => {
  test('early close in a Content-Length body: the body stream errors ERR_RESPONSE_INCOMPLETE', async () => {
    await withScripted((conn) => conn.socket.end(`${OK}Content-Length: 100\r\n\r\nonly this`), async (origin) => {
      const client = new Client(origin);
      try {
        const res = await client.request();
        const err = await rejection(res.body.text());
        assert.equal(err.code, 'ERR_RESPONSE_INCOMPLETE');
      } finally {
        client.destroy();
      }
    });
  });

  test('early close in a chunked body: ERR_RESPONSE_INCOMPLETE, never a short "complete" body', async () => {
    await withScripted((conn) => conn.socket.end(`${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`), async (origin) => {
      const client = new Client(origin);
      try {
        const res = await client.request();
        assert.equal((await rejection(res.body.text())).code, 'ERR_RESPONSE_INCOMPLETE');
      } finally {
        client.destroy();
      }
    });
  });

  test('a smuggled second response inside a chunked body is body bytes, then a bad chunk ends it', async () => {
    await withScripted((conn) => conn.socket.end(`${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nHTTP/1.1 200 OK\r\n\r\n`), async (origin) => {
      const client = new Client(origin);
      try {
        const res = await client.request();
        assert.equal((await rejection(res.body.text())).code, 'ERR_RESPONSE_CHUNK');
      } finally {
        client.destroy();
      }
    });
  });

  test('a response to a request never sent: the extra response is refused and its connection dropped', async () => {
    await withScripted((conn) => {
      // One request, two responses in one write: the second would answer the client's next request.
      if (conn.index === 0) conn.socket.write(`${OK}Content-Length: 5\r\n\r\nfirst${OK}Content-Length: 8\r\n\r\nsmuggled`);
      else conn.socket.write(`${OK}Content-Length: 6\r\n\r\nsecond`);
    }, async (origin, state) => {
      const client = new Client(origin);
      try {
        assert.equal(await (await client.request()).body.text(), 'first');
        assert.equal(await (await client.request()).body.text(), 'second');
        assert.equal(state.connections.length, 2, 'the second request went on a new connection');
      } finally {
        client.destroy();
      }
    });
  });

  test('a 10 GB Content-Length with maxBodyBytes: refused from the head, before any body byte', async () => {
    await withScripted((conn) => conn.socket.write(`${OK}Content-Length: 10737418240\r\n\r\n`), async (origin) => {
      const client = new Client(origin, { maxBodyBytes: 1024 * 1024 });
      try {
        assert.equal((await rejection(client.request())).code, 'ERR_RESPONSE_BODY_TOO_LARGE');
        assert.equal(client.connections, 0);
      } finally {
        client.destroy();
      }
    });
  });

  test('a 10 GB Content-Length streamed: the caller reads 1 MiB, aborts, and the connection closes', async () => {
    const serverSawClose = deferred();
    await withScripted((conn) => {
      conn.socket.write(`${OK}Content-Length: 10737418240\r\n\r\n`);
      const zeros = Buffer.alloc(64 * 1024);
      // Writes while the client reads (backpressure-driven), until the client goes away.
      const pump = (): void => {
        while (!conn.socket.destroyed && conn.socket.write(zeros));
      };
      conn.socket.on('drain', pump);
      conn.socket.on('close', () => serverSawClose.resolve());
      pump();
    }, async (origin) => {
      const client = new Client(origin);
      const ac = new AbortController();
      try {
        const res = await client.request({ signal: ac.signal });
        let n = 0;
        const err = await rejection((async () => {
          for await (const chunk of res.body) {
            n += (chunk as Buffer).length;
            if (n >= 1024 * 1024) ac.abort();
          }
        })());
        assert.equal(err.code, 'ERR_ABORTED');
        assert.ok(n >= 1024 * 1024 && n < 16 * 1024 * 1024, `read ${n} bytes`);
        await serverSawClose.promise;
        assert.equal(client.connections, 0);
      } finally {
        client.destroy();
      }
    });
  });

  test('a never-ending head: ERR_RESPONSE_HEAD_TOO_LARGE once past maxHeaderBytes, and the client hangs up', async () => {
    const serverSawClose = deferred();
    await withScripted((conn) => {
      conn.socket.write(`${OK}X-Endless: `);
      const a = Buffer.alloc(4096, 0x61);
      const pump = (): void => {
        while (!conn.socket.destroyed && conn.socket.write(a));
      };
      conn.socket.on('drain', pump);
      conn.socket.on('close', () => serverSawClose.resolve());
      pump();
    }, async (origin) => {
      const client = new Client(origin);
      try {
        assert.equal((await rejection(client.request())).code, 'ERR_RESPONSE_HEAD_TOO_LARGE');
        await serverSawClose.promise;
      } finally {
        client.destroy();
      }
    });
  });

  test('a close-delimited body read by a slow consumer is delivered whole after the FIN', async () => {
    const big = 'z'.repeat(1024 * 1024);
    await withScripted((conn) => conn.socket.end(`HTTP/1.1 200 OK\r\n\r\n${big}`), async (origin) => {
      const client = new Client(origin);
      try {
        const res = await client.request();
        await once(res.body, 'readable'); // let the server's FIN arrive while the body is unread
        assert.equal((await res.body.text()).length, big.length);
      } finally {
        client.destroy();
      }
    });
  });
});
